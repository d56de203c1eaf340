"""Issue 12, service side: each finding's attack, scaled down, against the real app.

Timings are printed, never asserted against a wall-clock budget; what is asserted is the
mechanism (refused before reading, answered while others still run, secrets absent, …).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.pipeline import QAService
from app.settings import Settings
from tests.app.api_graph import DRUG, build_graph, entity_id_of, settings_for
from tests.app.hardening_helpers import slow_upstream, wait_ok
from tests.servers import free_port, serve_app

REPO = Path(__file__).resolve().parents[2]
QUESTION = "非布司他片的适应症是什么？"
KEY = "s3cret-key"


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _send_big_body(port: int, path: str, size: int, headers: dict[str, str], chunked: bool) -> tuple[int | None, int]:
    """Send `size` bytes of body as an attacker would (not waiting for the server); returns the
    status line's code (None if the server cut the connection before we could read it) and the bytes
    the kernel accepted from us before the server closed."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(10)
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    reply: list[bytes] = []

    def read() -> None:
        try:
            reply.append(sock.recv(65536))
        except OSError:
            pass

    reader = threading.Thread(target=read)
    reader.start()
    chunk, sent = b"x" * (1 << 20), 0
    try:
        while sent < size:
            data = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
            sock.sendall(data)
            sent += len(chunk)
    except OSError:
        pass
    reader.join(timeout=10)
    sock.close()
    status = None
    if reply and reply[0].startswith(b"HTTP/1.1 "):
        status = int(reply[0].split()[1])
    return status, sent


@pytest.mark.integration
def test_1_big_bodies_are_refused_before_they_are_read(tmp_path: Path, graph_home: Path) -> None:
    """50 MB bodies, with and without the key, declared or chunked: refused, server RSS grows < 50 MB."""
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "QIZHEN_HOME": str(graph_home), "QIZHEN_DENSE": "false", "QIZHEN_GENERATOR": "extractive",
           "QIZHEN_API_KEY": KEY, "HF_HUB_OFFLINE": "1", "QIZHEN_AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--log-level", "warning"],
                            cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ok(url, proc, log)
        rss0 = _rss_kib(proc.pid)
        size = 50 * 1024 * 1024
        results = {}
        for label, headers, chunked in (("no key, declared", {}, False), ("no key, chunked", {}, True),
                                        ("key, declared", {"X-API-Key": KEY}, False),
                                        ("key, chunked", {"X-API-Key": KEY}, True)):
            results[label] = _send_big_body(port, "/ask", size, headers, chunked)
        rss1 = _rss_kib(proc.pid)
        print(f"\nRSS {rss0 / 1024:.0f} -> {rss1 / 1024:.0f} MiB; (status, bytes the kernel took) = {results}")
        assert (rss1 - rss0) < 50 * 1024
        for label, (status, sent) in results.items():
            expected = 401 if label.startswith("no key") else 413
            assert status in (expected, None), (label, status)
            assert status == expected or sent < size, label  # refused, or cut off before the end
        ok = httpx.post(f"{url}/ask", json={"question": QUESTION}, headers={"X-API-Key": KEY}, timeout=30)
        assert ok.status_code == 200 and ok.json()["grounded"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_1_key_is_checked_without_reading_the_body(graph_home: Path) -> None:
    """ASGI level: a request without the key is answered 401 and the body is never received."""
    app = create_app(settings_for(graph_home, api_key=KEY))
    received: list[str] = []

    async def receive() -> dict[str, object]:
        received.append("body")
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/ask", "raw_path": b"/ask", "query_string": b"",
             "headers": [(b"content-type", b"application/json")], "http_version": "1.1", "scheme": "http",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "root_path": "", "app": app}
    asyncio.run(app.build_middleware_stack()(scope, receive, send))
    assert sent[0]["status"] == 401 and not received
    assert json.loads(sent[1]["body"])["error"] == "unauthorized"


def test_1_declared_and_streamed_bodies_over_the_limit(graph_home: Path) -> None:
    with TestClient(create_app(settings_for(graph_home, max_body_bytes=4096))) as c:
        r = c.post("/ask", content=b'{"question": "' + b"x" * 5000 + b'"}', headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"] == "body_too_large"

        def chunks():  # no Content-Length: counted as it streams
            yield b'{"question": "'
            for _ in range(10):
                yield b"x" * 1000
            yield b'"}'

        r = c.post("/ask", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"] == "body_too_large"
        assert c.post("/ask", json={"question": QUESTION}).status_code == 200


def test_history_limits_bound_the_work(graph_home: Path) -> None:
    settings = settings_for(graph_home, max_history_turns=4, max_history_chars=600, max_question_chars=100)
    with TestClient(create_app(settings)) as c:
        def ask(history: list[dict[str, str]]) -> httpx.Response:
            return c.post("/ask", json={"question": "有什么副作用", "history": history})

        too_many = [{"role": "user", "content": QUESTION}] * 5
        assert ask(too_many).json()["error"] == "history_too_many_turns"
        long_user_turn = [{"role": "user", "content": "痛" * 101}]  # linked like a question
        assert ask(long_user_turn).json()["error"] == "history_too_long"
        total = [{"role": "assistant", "content": "痛" * 400}, {"role": "assistant", "content": "痛" * 400}]
        r = ask(total)
        assert r.status_code == 413 and r.json()["error"] == "history_too_long" and "600" in r.json()["message"]
        assert ask([{"role": "user", "content": QUESTION}]).json()["grounded"]


class SlowService(QAService):
    """The real service whose retrieval of a question starting with 慢 burns pure-Python CPU (holding
    the GIL the way the old typo matcher did), standing in for a pathological question, until the test
    sets `release`; `spinning` counts the calls doing so (the test waits on them, not on sleeps)."""

    release = threading.Event()
    spinning = 0
    _lock = threading.Condition()

    def retrieve(self, question, history=(), top_k=None):  # type: ignore[no-untyped-def]
        if question.startswith("慢"):
            cls = type(self)
            with cls._lock:
                cls.spinning += 1
                cls._lock.notify_all()
            n = 0
            while not cls.release.is_set():
                n += 1
            with cls._lock:
                cls.spinning -= 1
                cls._lock.notify_all()
        return super().retrieve(question, history, top_k=top_k)

    @classmethod
    def wait_spinning(cls, n: int, timeout_s: float = 120) -> int:
        with cls._lock:
            cls._lock.wait_for(lambda: cls.spinning == n, timeout=timeout_s)
            return cls.spinning


def test_2_heavy_requests_never_delay_health(graph_home: Path) -> None:
    """6 heavy questions at once (2 threads, 2 waiting places, 5 s deadline): they get 504 or 503,
    each within about the deadline, and /health answers while they are still running."""
    # the deadline is the window in which the 2 late requests must arrive to find the pool full
    settings = settings_for(graph_home, request_timeout_s=5.0, worker_threads=2, queue_limit=2)
    app = create_app(settings, SlowService(settings))
    SlowService.release.clear()
    with serve_app(app, free_port()) as url:
        results: list[tuple[int, float]] = []

        def heavy() -> None:
            t = time.perf_counter()
            r = httpx.post(f"{url}/ask", json={"question": "慢" + QUESTION}, timeout=30)
            results.append((r.status_code, time.perf_counter() - t))
            assert r.json()["error"] in ("timeout", "busy") and r.json()["message"]

        try:
            threads = [threading.Thread(target=heavy) for _ in range(4)]  # 2 running, 2 waiting
            for t in threads:
                t.start()
            assert SlowService.wait_spinning(2) == 2  # both threads of the pool spin
            pool = app.state.runtime.pools.cpu
            deadline = time.monotonic() + 60
            while pool.admitted < 4 and time.monotonic() < deadline:  # the 2 others wait for a thread
                time.sleep(0.01)
            late = [threading.Thread(target=heavy) for _ in range(2)]  # no room left: refused at once
            for t in late:
                t.start()
            t0 = time.perf_counter()
            health = httpx.get(f"{url}/health", timeout=30)
            health_s = time.perf_counter() - t0
            still_spinning = SlowService.spinning  # they spin until released: /health answered meanwhile
            for t in threads + late:
                t.join()
        finally:
            SlowService.release.set()  # the abandoned threads finish; the pool serves again
        print(f"\n/health {health_s * 1000:.1f} ms with {still_spinning} heavy requests running; "
              f"heavy: {sorted((s, round(d, 2)) for s, d in results)}")
        assert health.status_code == 200 and still_spinning == 2
        statuses = sorted(s for s, _ in results)
        assert set(statuses) <= {503, 504} and 504 in statuses and 503 in statuses
        assert SlowService.wait_spinning(0) == 0
        assert httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=30).json()["grounded"]


def test_2_a_long_misspelled_question_meets_the_deadline(graph_home: Path) -> None:
    """The real linker on a question of misspelled drug names at the length limit: answered or refused
    within the deadline (plus scheduling), /health answering meanwhile."""
    settings = settings_for(graph_home, request_timeout_s=3.0)
    question = ("非布斯他片别嘌纯片" * 60)[:500]
    with serve_app(create_app(settings), free_port()) as url:
        out: list[tuple[int, float]] = []

        def heavy() -> None:
            t = time.perf_counter()
            r = httpx.post(f"{url}/ask", json={"question": question,
                                               "history": [{"role": "user", "content": question}] * 3}, timeout=60)
            out.append((r.status_code, time.perf_counter() - t))

        th = threading.Thread(target=heavy)
        th.start()
        time.sleep(0.1)
        t0 = time.perf_counter()
        assert httpx.get(f"{url}/health", timeout=30).status_code == 200
        print(f"\n/health {(time.perf_counter() - t0) * 1000:.1f} ms; heavy alive: {th.is_alive()}")
        th.join()
        print(f"misspelled 500-character question + 3 turns: {out}")
        assert out[0][0] in (200, 503, 504)


def test_4_slow_upstream_cannot_hang_other_routes(graph_home: Path) -> None:
    """An openai upstream that accepts and never answers: 8 abandoned /ask calls fill only the openai
    pool; entities, metrics, health, extractive answers and streams keep answering."""
    with slow_upstream("sleep") as upstream:
        settings = settings_for(graph_home, generator="openai", openai_base_url=upstream, openai_model="m",
                                request_timeout_s=2.0, generator_threads=2, queue_limit=2)
        app = create_app(settings, generators=["openai", "extractive"])
        with serve_app(app, free_port()) as url:
            results: list[tuple[int, str, float]] = []

            def slow() -> None:
                t = time.perf_counter()
                r = httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=60)
                results.append((r.status_code, r.json()["error"], time.perf_counter() - t))

            threads = [threading.Thread(target=slow) for _ in range(8)]
            for t in threads:
                t.start()
            time.sleep(0.5)
            with httpx.Client(base_url=url, timeout=30) as http:
                checks = {
                    "card": http.get(f"/entities/{entity_id_of(DRUG)}").status_code,
                    "metrics": http.get("/metrics").status_code,
                    "health": http.get("/health").status_code,
                    "extractive": http.post("/ask", json={"question": QUESTION, "generator": "extractive"}).status_code,
                    "stream": http.post("/ask/stream", json={"question": QUESTION,
                                                             "generator": "extractive"}).status_code,
                }
            alive = sum(t.is_alive() for t in threads)
            for t in threads:
                t.join()
            print(f"\nother routes {checks} while {alive} openai calls hung; openai calls: "
                  f"{sorted((s, e, round(d, 2)) for s, e, d in results)}")
            assert set(checks.values()) == {200}
            assert {s for s, _, _ in results} <= {503, 504}
            assert {e for _, e, _ in results} <= {"timeout", "busy", "generator_unavailable"}


def test_5_no_secrets_or_internals_in_responses(graph_home: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A token in the upstream URL's query, an upstream error body with a password, graph paths: none
    of them in /health, in error bodies or in the log."""
    with slow_upstream("fail") as upstream:
        leaky = f"{upstream}?api_key=svcpass"
        settings = settings_for(graph_home, generator="openai", openai_base_url=leaky, openai_model="m")
        with TestClient(create_app(settings), raise_server_exceptions=False) as c:
            health = c.get("/health").text
            r = c.post("/ask", json={"question": QUESTION})
            s = c.post("/ask/stream", json={"question": QUESTION})
    assert r.status_code == 503 and r.json()["error"] == "generator_unavailable"
    assert "event: error" in s.text and "generator_unavailable" in s.text
    for text in (health, r.text, s.text):
        for secret in ("svcpass", "hunter2", "Traceback", str(graph_home)):
            assert secret not in text, (secret, text[:300])
    for secret in ("svcpass", "hunter2"):  # the log may name paths, never credentials
        assert secret not in caplog.text


def test_5_credentials_in_the_upstream_url_stop_the_start(graph_home: Path) -> None:
    """user:password@ in QIZHEN_OPENAI_BASE_URL is an error at startup (httpx would silently send them
    as a Basic header instead of the configured key), and the message does not repeat them."""
    from kg.errors import InvalidInput

    settings = settings_for(graph_home, generator="openai", openai_base_url="http://svcuser:svcpass@127.0.0.1:9/v1",
                            openai_model="m")
    with pytest.raises(InvalidInput) as info:
        create_app(settings)
    assert "svcpass" not in str(info.value) and "***@127.0.0.1" in str(info.value)


def test_5_unopenable_graph_is_reported_without_its_path(tmp_path: Path) -> None:
    home = tmp_path / "secret-home"
    home.mkdir()
    (home / "graph").write_bytes(b"not a graph database")
    with TestClient(create_app(settings_for(home)), raise_server_exceptions=False) as c:
        health = c.get("/health")
        r = c.post("/ask", json={"question": QUESTION})
    assert health.json()["graph"] == "unavailable" and health.json()["status"] == "degraded"
    assert r.status_code == 503 and r.json()["error"] == "graph_unavailable"
    assert "secret-home" not in health.text + r.text


def test_7_unreachable_neo4j_answers_every_concurrent_request_quickly(tmp_path: Path) -> None:
    pytest.importorskip("neo4j")
    settings = settings_for(tmp_path, graph="neo4j", neo4j_uri=f"bolt://neo:pw@127.0.0.1:{free_port()}",
                            store_timeout_s=2.0)
    with serve_app(create_app(settings), free_port()) as url:
        async def burst() -> list[tuple[int, float, str]]:
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                async def one(path: str, body: dict[str, str] | None) -> tuple[int, float, str]:
                    t = time.perf_counter()
                    r = await (http.post(path, json=body) if body else http.get(path))
                    return r.status_code, time.perf_counter() - t, r.text

                return await asyncio.gather(*(one("/ask", {"question": QUESTION}) for _ in range(4)),
                                            one("/ask/stream", {"question": QUESTION}),
                                            one(f"/entities/{entity_id_of(DRUG)}", None))

        t0 = time.perf_counter()
        results = asyncio.run(burst())
        total = time.perf_counter() - t0
        print(f"\n6 parallel requests against an unreachable Bolt URI: {[(s, round(d, 3)) for s, d, _ in results]}, "
              f"all done in {total:.2f} s")
        for status, _, text in results:
            assert status == 503 and json.loads(text)["error"] == "graph_unavailable"
            assert "bolt" not in text and "pw" not in text
        health = httpx.get(f"{url}/health", timeout=10).json()
        assert health["status"] == "degraded" and health["graph"] == "unavailable"
        assert total < 2.0  # the README's promise for every one of them, not one after another


def _jsonl_graph(path: Path) -> Path:
    rows = [{"kind": "entity", "name": "利可君片", "type": "Drug", "properties": {"简介": "升白细胞药。"}},
            {"kind": "entity", "name": "白细胞减少症", "type": "Disease"},
            {"kind": "relation", "source": "利可君片", "type": "INDICATED_FOR", "target": "白细胞减少症",
             "target_type": "Disease", "dataset": "my-hospital", "predicate": "适应证"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_10_a_new_snapshot_is_served_after_ingest_reset(tmp_path: Path) -> None:
    """While `kg ingest --reset` runs, the server answers from the old snapshot; afterwards from the
    new one; never from anything in between (the ingest writes a private copy, published at once)."""
    home = tmp_path / "home"
    home.mkdir()
    build_graph(home)
    settings = settings_for(home, health_check_s=0.2)
    with TestClient(create_app(settings)) as c:
        before = c.get("/health").json()["snapshot"]
        assert not c.post("/ask", json={"question": "利可君片的适应症是什么？"}).json()["grounded"]
        env = {**os.environ, "QIZHEN_HOME": str(home), "QIZHEN_DENSE": "false"}
        ingest = subprocess.Popen([sys.executable, "-m", "app.cli", "kg", "ingest", "--reset", "--source", "jsonl",
                                   str(_jsonl_graph(tmp_path / "new.jsonl"))], cwd=REPO, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seen: list[tuple[str, str]] = []
        while ingest.poll() is None:  # during the ingest: only the old snapshot, answering as before
            h = c.get("/health").json()
            body = c.post("/ask", json={"question": QUESTION}).json()
            seen.append((h["snapshot"], body["snapshot"]))
            time.sleep(0.05)
        out = ingest.stdout.read() if ingest.stdout else ""
        assert ingest.returncode == 0, out[-2000:]
        final = re.search(r"snapshot (\w+)", out).group(1)  # type: ignore[union-attr]
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 120:
            h = c.get("/health").json()
            body = c.post("/ask", json={"question": "利可君片的适应症是什么？"}).json()
            seen.append((h["snapshot"], body["snapshot"]))
            if h["snapshot"] == final and h["graph"] == "ok":
                break
            time.sleep(0.1)
        print(f"\nnew snapshot served {time.perf_counter() - t0:.1f} s after the ingest; "
              f"{len(seen)} checks, states seen: {list(dict.fromkeys(seen))}")
        assert len(seen) > 3
        assert {snap for pair in seen for snap in pair} <= {before, final}, seen
        assert h["snapshot"] == final != before
        body = c.post("/ask", json={"question": "利可君片的适应症是什么？"}).json()
        assert body["grounded"] and "白细胞减少症" in body["answer"] and body["snapshot"] == h["snapshot"]
        assert not c.post("/ask", json={"question": QUESTION}).json()["grounded"]  # the old data is gone


def test_11_abandoned_stream_is_audited(graph_home: Path, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    with slow_upstream("trickle") as upstream:
        settings = settings_for(graph_home, generator="openai", openai_base_url=upstream, openai_model="m",
                                audit_log=audit)
        with serve_app(create_app(settings), free_port()) as url:
            with httpx.Client(base_url=url, timeout=30) as http:
                with http.stream("POST", "/ask/stream", json={"question": QUESTION}) as r:
                    first = next(r.iter_lines())
                    assert first == "event: evidence"
            deadline = time.monotonic() + 15
            while not (audit.exists() and audit.read_text().strip()) and time.monotonic() < deadline:
                time.sleep(0.1)
    record = json.loads(audit.read_text().splitlines()[0])
    assert record["outcome"] == "abandoned" and record["route"] == "/ask/stream"
    assert record["evidence_ids"] and all(i.startswith(entity_id_of(DRUG)) for i in record["evidence_ids"][:1])
    assert QUESTION not in audit.read_text()


def test_11_settings_never_read_dotenv_from_the_working_directory(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cwd = tmp_path / "somewhere"
    cwd.mkdir()
    (cwd / ".env").write_text("QIZHEN_API_KEY=planted\nQIZHEN_OPENAI_BASE_URL=http://evil.example/v1\n")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("QIZHEN_HOME", str(home))
    monkeypatch.delenv("QIZHEN_ENV_FILE", raising=False)
    monkeypatch.delenv("QIZHEN_API_KEY", raising=False)
    assert Settings().api_key is None
    (home / ".env").write_text("QIZHEN_TOP_K=7\n")
    assert Settings().top_k == 7
    explicit = tmp_path / "qizhen.env"
    explicit.write_text("QIZHEN_TOP_K=9\n")
    monkeypatch.setenv("QIZHEN_ENV_FILE", str(explicit))
    assert Settings().top_k == 9
