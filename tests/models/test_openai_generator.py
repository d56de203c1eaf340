"""The openai generator against a real OpenAI-compatible HTTP server started here: a minimal FastAPI
app serving /v1/chat/completions (plain and SSE) with the tiny LLaMA through the hf generator."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from app.settings import Settings
from models.generators import make_generator
from models.generators.base import Cancellation, GenerationRequest, GeneratorError, Turn
from models.generators.hf import HFGenerator
from models.generators.openai import OpenAIGenerator
from tests.conftest import make_evidence
from tests.servers import free_port, serve_app

REQUEST = GenerationRequest(
    question="非布司他片的适应症是什么？",
    history=[Turn(role="user", content="痛风吃什么药？"), Turn(role="assistant", content="非布司他片。")],
    evidence=[
        make_evidence(index=1, entity_id="e1", entity_name="非布司他片", entity_type="Drug", field="INDICATED_FOR",
                 text="痛风", source="cmekg"),
    ],
    max_new_tokens=20,
)


def _app(hf: HFGenerator) -> FastAPI:
    app = FastAPI()
    seen: list[dict] = []
    app.state.seen = seen

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": "tiny", "object": "model"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):  # noqa: ANN202
        body = await request.json()
        seen.append(body)
        if body["model"] != "tiny":
            return JSONResponse({"error": {"message": f"model {body['model']} not found"}}, status_code=404)
        hf.warm_up()
        prompt = hf.tokenizer.apply_chat_template(body["messages"], tokenize=False, add_generation_prompt=True)
        limit = body.get("max_tokens")
        if not body.get("stream"):
            text = hf.generate_text(prompt, max_new_tokens=limit)
            return {
                "id": "c1",
                "object": "chat.completion",
                "model": "tiny",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            }

        def events() -> Iterator[str]:
            yield ": keep-alive comment\n\n"
            first = {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}
            yield f"data: {json.dumps(first)}\n\n"
            for piece in hf.stream_text(prompt, max_new_tokens=limit):
                chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.fixture(scope="module")
def hf(tiny_llama: Path) -> HFGenerator:
    gen = HFGenerator(str(tiny_llama), prompt_style="chat", num_beams=1, max_new_tokens=20)
    gen.warm_up()
    return gen


@pytest.fixture(scope="module")
def server(hf: HFGenerator) -> Iterator[tuple[str, object]]:
    app = _app(hf)
    with serve_app(app) as url:
        yield f"{url}/v1", app


def test_generate_matches_the_local_chat_model(server, hf: HFGenerator) -> None:
    url, app = server
    gen = OpenAIGenerator(url, "tiny", api_key="secret")
    text = gen.generate(REQUEST)
    assert text and text == hf.generate(REQUEST)
    body = app.state.seen[-1]
    assert body["stream"] is False and body["max_tokens"] == 20 and body["model"] == "tiny"
    assert body["messages"][0] == {"role": "user", "content": "痛风吃什么药？"}
    assert "[1] 非布司他片 适应症: 痛风 (cmekg)" in body["messages"][-1]["content"]
    assert gen.status() == "ok"


def test_stream_reads_sse_and_joins_to_generate(server) -> None:
    url, _ = server
    gen = OpenAIGenerator(url, "tiny")
    pieces = list(gen.stream(REQUEST))
    assert len(pieces) > 1
    assert "".join(pieces).strip() == gen.generate(REQUEST)


def test_http_error_is_a_generator_error(server) -> None:
    url, _ = server
    gen = OpenAIGenerator(url, "no-such-model")
    with pytest.raises(GeneratorError, match="404"):
        gen.generate(REQUEST)
    with pytest.raises(GeneratorError, match="404"):
        list(gen.stream(REQUEST))


def test_server_down_is_a_clear_generator_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    gen = OpenAIGenerator(url, "tiny", connect_timeout_s=1.0)
    with pytest.raises(GeneratorError, match="cannot reach"):
        gen.generate(REQUEST)
    with pytest.raises(GeneratorError, match="cannot reach"):
        list(gen.stream(REQUEST))
    assert "unreachable" in gen.status()


def test_make_generator_from_settings(server) -> None:
    url, app = server
    settings = Settings(generator="openai", openai_base_url=url, openai_model="tiny", max_new_tokens=7)
    gen = make_generator("openai", settings)
    assert isinstance(gen, OpenAIGenerator)
    assert gen.generate(REQUEST.model_copy(update={"max_new_tokens": None}))
    assert app.state.seen[-1]["max_tokens"] == 7 and app.state.seen[-1]["temperature"] == 0.4


def test_bad_base_url_rejected() -> None:
    with pytest.raises(ValueError):
        OpenAIGenerator("127.0.0.1:8000", "tiny")


# -- bounded calls (issue 12, finding 4): real local servers that sleep, trickle or fail ---------------

def test_overall_deadline_on_an_upstream_that_never_answers() -> None:
    from tests.app.hardening_helpers import slow_upstream

    with slow_upstream("sleep", sleep_s=30) as url:
        gen = OpenAIGenerator(url, "m", deadline_s=1.0)
        t = time.perf_counter()
        with pytest.raises(GeneratorError, match="did not finish"):
            gen.generate(REQUEST)
        took = time.perf_counter() - t
    print(f"\nsleeping upstream: gave up after {took:.2f} s (deadline 1 s, upstream sleeps 30 s)")
    assert took < 30  # ended by our deadline, not by the upstream


def test_overall_deadline_on_a_trickling_stream() -> None:
    """A token every 0.3 s for ever: the per-read timeout never fires; the overall deadline does."""
    from tests.app.hardening_helpers import slow_upstream

    with slow_upstream("trickle") as url:
        gen = OpenAIGenerator(url, "m", deadline_s=1.0)
        pieces: list[str] = []
        t = time.perf_counter()
        with pytest.raises(GeneratorError, match="did not finish"):
            for piece in gen.stream(REQUEST):
                pieces.append(piece)
        print(f"\ntrickling upstream: {len(pieces)} pieces, cut after {time.perf_counter() - t:.2f} s")
        assert pieces


def test_calls_are_bounded_and_a_closed_stream_frees_its_slot() -> None:
    from tests.app.hardening_helpers import slow_upstream

    with slow_upstream("trickle") as url:
        gen = OpenAIGenerator(url, "m", deadline_s=30.0, max_concurrency=1)
        first = gen.stream(REQUEST)
        assert next(first)
        with pytest.raises(GeneratorError, match="busy"):  # refused at once, not queued
            gen.generate(REQUEST)
        first.close()  # the client went away: the response is closed, the slot comes back
        second = gen.stream(REQUEST)
        assert next(second)
        second.close()


def test_credentials_and_upstream_bodies_never_appear_in_errors() -> None:
    from tests.app.hardening_helpers import slow_upstream

    with slow_upstream("fail") as url:
        gen = OpenAIGenerator(f"{url}?api_key=svcpass", "m")
        for call in (gen.generate, lambda r: list(gen.stream(r))):
            with pytest.raises(GeneratorError) as info:
                call(REQUEST)
            text = str(info.value)
            assert "500" in text and "api_key=***" in text
            assert "svcpass" not in text and "hunter2" not in text


@pytest.mark.parametrize("url", ["http://svcuser:svcpass@127.0.0.1:9/v1", "http://:svcpass@127.0.0.1:9/v1",
                                 "http://user:p@svcpass@127.0.0.1:9/v1"])
def test_credentials_in_the_base_url_are_refused_at_construction(url: str) -> None:
    """httpx would turn them into a Basic header in place of the bearer key: a clear error instead."""
    from kg.errors import InvalidInput

    with pytest.raises(InvalidInput) as info:
        OpenAIGenerator(url, "m")
    assert "svcpass" not in str(info.value) and "QIZHEN_OPENAI_API_KEY" in str(info.value)


def test_cancel_closes_the_upstream_response_of_a_blocked_stream() -> None:
    """Issue 18, finding 5: a stream blocked reading a slow upstream (a token every 20 s) ends at once
    when its request is cancelled from another thread: the upstream sees the hang-up, the slot is free."""
    from tests.app.hardening_helpers import slow_chat_upstream

    with slow_chat_upstream(token_s=20, stream_s=60) as upstream:
        gen = OpenAIGenerator(upstream.url, "m", deadline_s=60, max_concurrency=1)
        cancel = Cancellation()
        stream = gen.stream(REQUEST.model_copy(update={"cancel": cancel}))
        assert next(stream) == "痛风"  # the first token; the next one is 20 s away
        pieces: list[str] = []
        reader = threading.Thread(target=lambda: pieces.extend(stream))
        reader.start()
        cancel.cancel()
        reader.join(timeout=15)
        assert not reader.is_alive() and pieces == []  # ended quietly, not by the deadline
        assert upstream.wait_idle(timeout_s=15) == 0 and upstream.hung_up == 1
        assert gen._slots.acquire(blocking=False)  # the call's concurrency slot was given back
