"""Issue 18, finding 5: a stream its client abandons cancels its upstream generator call at once
(the upstream response is closed, the pool thread and the generator's slot are freed) instead of
keeping the upstream busy until the deadline."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from app.api.main import create_app
from tests.app.api_graph import settings_for
from tests.app.hardening_helpers import slow_chat_upstream
from tests.servers import free_port, serve_app

QUESTION = "非布司他片的适应症是什么？"


def _abandon_after_evidence(url: str) -> None:
    """Open /ask/stream, read up to the evidence event, hang up (a closed tab, a client timeout)."""
    with httpx.Client(timeout=30) as http, http.stream("POST", f"{url}/ask/stream", json={"question": QUESTION}) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data:"):  # the first event is the evidence
                break


def _wait_admitted_zero(pool: object, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while pool.admitted and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.05)
    return int(pool.admitted)  # type: ignore[attr-defined]


def test_abandoned_streams_cancel_their_upstream_calls(graph_home: Path) -> None:
    with slow_chat_upstream(token_s=20, stream_s=60) as upstream:
        # a slow model (20 s a token) and a long deadline: without cancellation each abandoned call holds its
        # thread and the upstream until its next token or the deadline, and the next /ask queues behind them
        settings = settings_for(graph_home, generator="openai", openai_base_url=upstream.url, openai_model="m",
                                request_timeout_s=30.0)
        app = create_app(settings)
        with serve_app(app, free_port()) as url:
            for _ in range(20):
                _abandon_after_evidence(url)
            still = upstream.wait_idle(timeout_s=10)
            pool = app.state.runtime.pools.for_generator("openai", local=False)
            busy = _wait_admitted_zero(pool, timeout_s=10)
            upstream.stream_s = 0  # the next answer comes at once: only what the abandoned streams left can delay it
            streams = upstream.streams
            t = time.perf_counter()
            r = httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=60)
            took = time.perf_counter() - t
    print(f"\n20 abandoned streams: upstream started {streams} streams, saw {upstream.hung_up} hang-ups, "
          f"{still} still in flight; generator pool busy {busy}; next /ask {r.status_code} in {took * 1000:.0f} ms")
    assert still == 0 and busy == 0  # nothing pending: every upstream call was closed, every thread freed
    assert upstream.hung_up == streams  # each stream the upstream started was cancelled by us
    assert r.status_code == 200 and r.json()["grounded"], r.text
    assert took < 1.0  # the bound (the attack made it wait the full 10 s deadline)
