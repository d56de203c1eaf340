"""Issue 18, finding 8: slowloris. Connections that trickle a request body a byte at a time are
answered 408 JSON and closed once the body deadline (QIZHEN_BODY_TIMEOUT_S) passes; ordinary
requests and streams are not affected."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import httpx

from app.api.main import create_app
from tests.app.api_graph import settings_for
from tests.servers import free_port, serve_app

QUESTION = "非布司他片的适应症是什么？"


def _slowloris(port: int, out: list[tuple[bytes, bool]], give_up_s: float = 30.0) -> None:
    """Declare a 200-byte body, then send one byte about every 0.3 s until the server closes the
    connection (bounded by `give_up_s`); records (what the server answered, whether it closed)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(0.3)
    sock.sendall(b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
    reply, closed = b"", False
    deadline = time.monotonic() + give_up_s
    try:
        while time.monotonic() < deadline:
            try:
                data = sock.recv(65536)
                if not data:
                    closed = True
                    break
                reply += data
            except TimeoutError:
                sock.send(b" ")
    except OSError:  # reset by the server after its answer
        closed = True
    finally:
        sock.close()
    out.append((reply, closed))


def test_slow_bodies_get_408_and_are_closed(graph_home: Path) -> None:
    settings = settings_for(graph_home, body_timeout_s=2.0)
    with serve_app(create_app(settings), free_port()) as url:
        port = int(url.rsplit(":", 1)[1])
        out: list[tuple[bytes, bool]] = []
        threads = [threading.Thread(target=_slowloris, args=(port, out)) for _ in range(5)]
        for t in threads:
            t.start()
        ok = httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=30)  # others are served meanwhile
        for t in threads:
            t.join()
        stream = httpx.post(f"{url}/ask/stream", json={"question": QUESTION}, timeout=30)
    assert ok.status_code == 200
    assert stream.status_code == 200 and "event: done" in stream.text
    assert len(out) == 5
    for reply, closed in out:
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), reply[:200]
        assert json.loads(body)["error"] == "body_timeout"
        assert closed  # the connection is closed, not kept for the next request
