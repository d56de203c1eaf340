"""POST /feedback — a clinician's 👍/👎 or "报告错误事实", written to the audit log.

Rate-limited per client before the body is validated (429 + Retry-After), every field and list
bounded (422), and written in the app's bounded cpu pool under the request deadline — never in
anyio's shared thread pool."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from app.api.deps import RuntimeDep, require_api_key
from app.api.errors import ApiError, error_responses
from app.api.executor import Deadline
from app.api.ratelimit import client_identity, retry_after
from app.feedback import FeedbackIn, record_feedback


async def rate_limited_client(request: Request, runtime: RuntimeDep) -> str:
    """Who posts (see app.api.ratelimit); 429 once their bucket is empty."""
    who = client_identity(request, runtime.settings)
    wait = runtime.feedback_limiter.take(who)
    if wait > 0:
        seconds = retry_after(wait)
        raise ApiError(429, "rate_limited", {"Retry-After": seconds}, seconds=seconds)
    return who


router = APIRouter(tags=["feedback"], dependencies=[Depends(require_api_key)])


class FeedbackOut(BaseModel):
    recorded: bool = True


@router.post("/feedback", response_model=FeedbackOut, status_code=201,
             responses=error_responses(401, 422, 429, 500, 503, 504),
             summary="Record feedback on an answer or a card item (audit log, with snapshot and evidence ids)")
async def post_feedback(who: Annotated[str, Depends(rate_limited_client)], body: FeedbackIn,
                        runtime: RuntimeDep) -> FeedbackOut:
    write = partial(record_feedback, runtime.audit, body, "/feedback", reporter=who)
    await runtime.pools.cpu.run(write, Deadline(runtime.settings.request_timeout_s))
    return FeedbackOut()
