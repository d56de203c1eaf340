"""POST /feedback — a clinician's 👍/👎 or "报告错误事实", written to the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from app.api.deps import AuditDep, require_api_key
from app.api.errors import error_responses
from app.feedback import FeedbackIn, record_feedback

router = APIRouter(tags=["feedback"], dependencies=[Depends(require_api_key)])


class FeedbackOut(BaseModel):
    recorded: bool = True


@router.post("/feedback", response_model=FeedbackOut, status_code=201, responses=error_responses(401, 422, 500),
             summary="Record feedback on an answer or a card item (audit log, with snapshot and evidence ids)")
async def post_feedback(body: FeedbackIn, audit: AuditDep) -> FeedbackOut:
    await run_in_threadpool(record_feedback, audit, body, "/feedback")
    return FeedbackOut()
