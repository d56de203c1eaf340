"""bench/load.py's own HTTP client: the load figures are only as good as its parsing and error count."""

from __future__ import annotations

import asyncio

import pytest

from app.api.main import create_app
from bench.load import RawConnection, run_load
from tests.app.api_graph import build_graph, settings_for
from tests.servers import free_port, serve_app


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> object:
    home = tmp_path_factory.mktemp("bench-home")
    build_graph(home)
    with serve_app(create_app(settings_for(home, api_key="k")), free_port()) as u:
        yield u


def test_raw_connection_reads_fixed_length_and_chunked_responses(url: str) -> None:
    async def go() -> None:
        conn = RawConnection(url, {"X-API-Key": "k"})
        try:
            body = '{"question": "非布司他片的适应症是什么？"}'.encode()
            status, answer = await conn.send(conn.request_bytes("POST", "/ask", body))
            assert status == 200 and b'"grounded":true' in answer.replace(b" ", b"")
            status, stream = await conn.send(conn.request_bytes("POST", "/ask/stream", body))  # chunked SSE
            assert status == 200 and stream.rstrip().endswith(b"}") and b"event: done" in stream
            status, missing = await conn.send(conn.request_bytes("GET", "/entities/no-such-id"))  # same connection
            assert status == 404 and b'"error"' in missing
        finally:
            await conn.close()

    asyncio.run(go())


def test_run_load_counts_requests_and_errors(url: str) -> None:
    ok = asyncio.run(run_load(url, clients=2, duration=1.0, endpoint="ask", api_key="k", warmup_s=0.2, pid=None))
    assert ok["requests"] > 0 and ok["errors"] == 0
    refused = asyncio.run(run_load(url, clients=2, duration=0.5, endpoint="ask", api_key=None, warmup_s=0.0,
                                   pid=None))
    assert refused["requests"] > 0 and refused["errors"] == refused["requests"]  # every 401 counted
    assert str(refused["first_error"]).startswith("401")
    stream = asyncio.run(run_load(url, clients=2, duration=1.0, endpoint="stream", api_key="k", warmup_s=0.0,
                                  pid=None))
    assert stream["requests"] > 0 and stream["errors"] == 0
