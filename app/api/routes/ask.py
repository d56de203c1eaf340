"""POST /ask and POST /ask/stream (Server-Sent Events)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from functools import partial

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from app.api.deps import AuditDep, MetricsDep, Runtime, RuntimeDep, ServiceDep, SettingsDep, require_api_key
from app.api.errors import ApiError, error_responses
from app.api.schemas import AskRequest
from app.settings import Settings
from kg.stores.base import StoreUnavailable
from models.generators.base import GeneratorError
from models.types import Answer

log = logging.getLogger("qizhen.api")
router = APIRouter(tags=["ask"], dependencies=[Depends(require_api_key)])

HISTORY_CHARS_FACTOR = 8  # one history turn may be this many times longer than a question (answers are)

STREAM_DOC = """Server-Sent Events, in this order: one `evidence` event (`{"evidence": [...]}`, the numbered
items the answer may cite), `token` events (`{"text": "..."}`) while generating, one `citations` event
(`{"citations": [...]}`), then `done` with the final answer object (the same as `POST /ask`).
An `error` event (`{"error": code, "message": ...}`) replaces the rest if the graph fails mid-stream."""

#: one event of the stream (OpenAPI < 3.2: the media type's schema describes each event)
SSE_EVENT_SCHEMA: dict[str, object] = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["evidence", "token", "citations", "done", "error"]},
        "data": {"type": "string", "contentMediaType": "application/json",
                 "description": "a JSON object: {evidence}, {text}, {citations}, the Answer, or {error, message}"},
    },
}


def _check_limits(body: AskRequest, settings: Settings) -> None:
    limit = settings.max_question_chars
    if len(body.question) > limit:
        raise ApiError(413, "question_too_long", f"the question has {len(body.question)} characters; "
                       f"the limit is {limit}")
    for turn in body.history:
        if len(turn.content) > limit * HISTORY_CHARS_FACTOR:
            raise ApiError(413, "history_too_long", f"a history turn is longer than {limit * HISTORY_CHARS_FACTOR} "
                           "characters")


def _check_generator(runtime: Runtime, name: str | None) -> None:
    """Only the generators this deployment enables may be requested (the schema lists them as an enum)."""
    if name is not None and name not in runtime.generators:
        raise ApiError(422, "unknown_generator", f"generator {name!r} is not enabled on this server; "
                       f"choose one of {runtime.generators}")


@router.post("/ask", response_model=Answer, responses=error_responses(401, 413, 422, 500, 503),
             summary="Answer a question from the knowledge graph, citing every fact")
async def ask(body: AskRequest, runtime: RuntimeDep, settings: SettingsDep, service: ServiceDep, audit: AuditDep,
              metrics: MetricsDep) -> Answer:
    _check_limits(body, settings)
    _check_generator(runtime, body.generator)
    started = time.perf_counter()
    call = partial(service.ask, body.question, body.history, generator=body.generator, top_k=body.top_k)
    answer = call() if _inline(settings, body.generator) else await run_in_threadpool(call)
    seconds = time.perf_counter() - started
    metrics.observe_answer(answer.grounded, answer.generator, seconds)
    audit.log_answer(answer, body.question, seconds * 1000, "/ask")
    return answer


def _inline(settings: Settings, generator: str | None) -> bool:
    """Answer on the event loop when it takes about a millisecond of CPU (extractive answers over
    the embedded graph); anything that waits on a network or a model goes to the thread pool."""
    return (generator or settings.generator) == "extractive" and settings.graph in ("embedded", "ladybug")


def _sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={200: {"description": STREAM_DOC, "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}}},
               **error_responses(401, 413, 422, 500, 503)},
    summary="Answer a question, streaming evidence, tokens, citations and the final answer",
)
def ask_stream(body: AskRequest, runtime: RuntimeDep, settings: SettingsDep, service: ServiceDep,
               audit: AuditDep, metrics: MetricsDep) -> StreamingResponse:
    _check_limits(body, settings)
    _check_generator(runtime, body.generator)
    started = time.perf_counter()
    # retrieval runs before the first event: a graph failure still becomes a plain 503 here
    events = service.ask_stream(body.question, body.history, generator=body.generator, top_k=body.top_k)
    first = next(events)

    def stream() -> Iterator[bytes]:
        yield _sse(first.event, first.data)
        try:
            for ev in events:
                if ev.event == "done":
                    answer = Answer.model_validate(ev.data)
                    seconds = time.perf_counter() - started
                    metrics.observe_answer(answer.grounded, answer.generator, seconds)
                    audit.log_answer(answer, body.question, seconds * 1000, "/ask/stream")
                    yield _sse("done", answer.model_dump(mode="json"))
                else:
                    yield _sse(ev.event, ev.data)
        except StoreUnavailable as exc:
            yield _sse("error", {"error": "graph_unavailable", "message": f"the knowledge graph is unavailable: {exc}"})
        except GeneratorError as exc:
            yield _sse("error", {"error": "generator_unavailable", "message": f"the answer generator is unavailable: {exc}"})
        except Exception:  # headers are sent: report in-band, never a trace
            log.exception("error while streaming an answer")
            yield _sse("error", {"error": "internal_error", "message": "internal server error"})

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
