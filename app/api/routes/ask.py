"""POST /ask and POST /ask/stream (Server-Sent Events).

Every step that costs CPU or waits (linking, intent embedding, retrieval, generation) runs in the
app's bounded pools under one per-request deadline (`QIZHEN_REQUEST_TIMEOUT_S`): the event loop
only parses, dispatches and writes, so no question — however long or misspelled — can delay
/health or any other request. Retrieval runs in the `cpu` pool; generation in its generator's own
pool (the `cpu` pool for the extractive generator, which needs about a millisecond).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from functools import partial

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from app.api.deps import Runtime, RuntimeDep, require_api_key
from app.api.errors import ApiError, error_responses, message_for
from app.api.executor import Busy, Deadline, DeadlineExceeded
from app.api.schemas import AskRequest
from app.pipeline import StreamEvent
from app.settings import Settings
from kg.redaction import redact
from kg.stores.base import StoreUnavailable
from models.generators.base import Cancellation, GeneratorError
from models.types import Answer

log = logging.getLogger("qizhen.api")
router = APIRouter(tags=["ask"], dependencies=[Depends(require_api_key)])

HISTORY_CHARS_FACTOR = 8  # one assistant turn may be this many times longer than a question (answers are)

STREAM_DOC = """Server-Sent Events, in this order: one `evidence` event (`{"evidence": [...]}`, the numbered
items the answer may cite), `token` events (`{"text": "..."}`) while generating, one `citations` event
(`{"citations": [...]}`), then `done` with the final answer object (the same as `POST /ask`).
An `error` event (`{"error": code, "message": ...}`) replaces the rest if the graph or the generator
fails, or the deadline passes, mid-stream."""

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
ERRORS = error_responses(401, 413, 422, 500, 503, 504)


def check_limits(body: AskRequest, settings: Settings) -> None:
    """413 for a question or history over the limits. A user turn is linked like a question, so it
    is held to the question's limit: the linking work of a request is bounded by
    (1 + max_history_turns) x max_question_chars, whatever the client sends."""
    limit = settings.max_question_chars
    if len(body.question) > limit:
        raise ApiError(413, "question_too_long", length=len(body.question), limit=limit)
    if len(body.history) > settings.max_history_turns:
        raise ApiError(413, "history_too_many_turns", turns=len(body.history), limit=settings.max_history_turns)
    total = 0
    for turn in body.history:
        total += len(turn.content)
        turn_limit = limit if turn.role == "user" else limit * HISTORY_CHARS_FACTOR
        if len(turn.content) > turn_limit or total > settings.max_history_chars:
            raise ApiError(413, "history_too_long", turn_limit=limit, limit=settings.max_history_chars)


def _check_generator(runtime: Runtime, name: str | None) -> None:
    """Only the generators this deployment enables may be requested (the schema lists them as an enum)."""
    if name is not None and name not in runtime.generators:
        raise ApiError(422, "unknown_generator", name=name[:64], enabled="、".join(runtime.generators))


def _final(events: Iterator[StreamEvent]) -> Answer:
    answer = None
    for ev in events:
        if ev.event == "done":
            answer = Answer.model_validate(ev.data)
    if answer is None:  # cancelled: the request has already given up
        raise GeneratorError("the answer was cancelled")
    return answer


async def _retrieve(runtime: Runtime, body: AskRequest, deadline: Deadline,
                    cancel: Cancellation) -> Iterator[StreamEvent]:
    """Linking, intent and retrieval in the cpu pool; the returned events generate lazily, until
    `cancel` is set (the request gave up: its generator call is closed, its thread freed)."""
    runtime.require_graph()
    call = partial(runtime.service.ask_stream, body.question, body.history, generator=body.generator,
                   top_k=body.top_k, cancel=cancel)
    try:
        return await runtime.pools.cpu.run(call, deadline)
    except StoreUnavailable:
        runtime.monitor.poke()
        raise


@router.post("/ask", response_model=Answer, responses=ERRORS,
             summary="Answer a question from the knowledge graph, citing every fact")
async def ask(body: AskRequest, runtime: RuntimeDep) -> Answer:
    settings = runtime.settings
    check_limits(body, settings)
    _check_generator(runtime, body.generator)
    started = time.perf_counter()
    deadline = Deadline(settings.request_timeout_s)
    name = body.generator or settings.generator
    service = runtime.service
    pool = runtime.pools.for_generator(name, local=service.is_local(name))
    if pool is runtime.pools.cpu:  # retrieval and a local answer in one hop
        runtime.require_graph()
        key = service.answer_key(body.question, body.history, generator=name, top_k=body.top_k)
        answer = runtime.answers.get(key) if key is not None else None
        if answer is not None:
            answer = answer.model_copy(update={"timings_ms": {"cache_hit": 1.0, "total_ms": _ms(started)}})
        else:
            call = partial(service.ask, body.question, body.history, generator=body.generator, top_k=body.top_k)
            try:
                answer = await pool.run(call, deadline)
            except StoreUnavailable:
                runtime.monitor.poke()
                raise
            if key is not None:
                runtime.answers.put(key, answer)
    else:
        cancel = Cancellation()
        try:
            events = await _retrieve(runtime, body, deadline, cancel)
            answer = await pool.run(partial(_final, events), deadline)
        except BaseException:  # deadline, or the client went away: stop the upstream call too
            cancel.cancel()
            raise
    seconds = time.perf_counter() - started
    runtime.metrics.observe_answer(answer.grounded, answer.generator, seconds)
    runtime.audit.log_answer(answer, body.question, seconds * 1000, "/ask")
    return answer


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def _error_event(code: str, **fmt: object) -> bytes:
    return _sse("error", {"error": code, "message": message_for(code, **fmt)})


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={200: {"description": STREAM_DOC, "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}}},
               **ERRORS},
    summary="Answer a question, streaming evidence, tokens, citations and the final answer",
)
async def ask_stream(body: AskRequest, runtime: RuntimeDep) -> StreamingResponse:
    settings = runtime.settings
    check_limits(body, settings)
    _check_generator(runtime, body.generator)
    started = time.perf_counter()
    deadline = Deadline(settings.request_timeout_s)
    # retrieval runs before the first event: a graph failure, a full pool or the deadline is a plain HTTP error
    cancel = Cancellation()
    events = await _retrieve(runtime, body, deadline, cancel)
    snapshot = runtime.service.snapshot
    first = next(events)  # the evidence event: a list already built
    name = body.generator or settings.generator
    pool = runtime.pools.for_generator(name, local=runtime.service.is_local(name))
    local = pool is runtime.pools.cpu

    async def stream() -> AsyncIterator[bytes]:
        finished = False
        outcome = "abandoned"  # the client went away after the evidence was sent
        try:
            yield _sse(first.event, first.data)
            if local:  # a local answer: the rest in one hop
                rest: list[StreamEvent] | None = await pool.run(partial(list, events), deadline)
            while True:
                if local:
                    ev = rest.pop(0) if rest else None
                else:
                    ev = await pool.run(partial(next, events, None), deadline)
                if ev is None:
                    break
                if ev.event == "done":
                    answer = Answer.model_validate(ev.data)
                    seconds = time.perf_counter() - started
                    runtime.metrics.observe_answer(answer.grounded, answer.generator, seconds)
                    runtime.audit.log_answer(answer, body.question, seconds * 1000, "/ask/stream")
                    finished = True
                    yield _sse("done", answer.model_dump(mode="json"))
                else:
                    yield _sse(ev.event, ev.data)
        except DeadlineExceeded as exc:
            outcome = "timeout"
            yield _error_event("timeout", seconds=exc.seconds)
        except Busy:
            outcome = "busy"
            yield _error_event("busy")
        except StoreUnavailable as exc:
            outcome = "graph_unavailable"
            runtime.monitor.poke()
            log.warning("graph failed mid-stream: %s", redact(str(exc)))
            yield _error_event("graph_unavailable")
        except GeneratorError as exc:
            outcome = "generator_unavailable"
            log.warning("generator failed mid-stream: %s", redact(str(exc)))
            yield _error_event("generator_unavailable")
        except Exception as exc:  # headers are sent: report in-band, never a trace
            outcome = "internal_error"
            log.error("error while streaming an answer: %s", redact(repr(exc)))
            yield _error_event("internal_error")
        finally:
            if not finished:  # its evidence was sent: the audit trail must show it
                cancel.cancel()  # first: a pool thread blocked on the upstream is woken and freed now
                seconds = time.perf_counter() - started
                runtime.audit.log_unfinished(first.data.get("evidence", []), body.question, seconds * 1000,
                                             "/ask/stream", outcome=outcome, snapshot=snapshot,
                                             generator=name)
                _close_quietly(events)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _close_quietly(events: Iterator[StreamEvent]) -> None:
    """Drop the events of a stream nobody reads. A step still running in a pool thread cannot be
    closed from here ("generator already executing"): the Cancellation set before ends it."""
    close = getattr(events, "close", None)
    if callable(close):
        try:
            close()
        except ValueError:  # "generator already executing" in a pool thread
            pass
