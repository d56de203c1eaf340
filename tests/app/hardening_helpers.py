"""Servers for the API tests: the real app under uvicorn in a thread, slow fake upstreams, and waiting
for a server started as a subprocess to say it is healthy."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from fastapi import FastAPI


def wait_ok(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 180) -> None:
    """Poll `url`/health until it says ok; fail with the server's log if it exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/health", timeout=2).json()["status"] == "ok":
                return
        except (httpx.HTTPError, ValueError):
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.3)


@contextmanager
def serve_app(app: FastAPI, port: int) -> Iterator[str]:
    """The app under a real uvicorn server (lifespan, event loop, sockets) in a thread of this process."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class _Upstream(BaseHTTPRequestHandler):
    """An OpenAI-compatible server that is slow in the way `mode` says."""

    mode = "sleep"  # sleep | trickle | fail
    sleep_s = 30.0
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # /v1/models
        body = b'{"object": "list", "data": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        try:
            if self.mode == "sleep":  # accepts, then says nothing
                time.sleep(self.sleep_s)
            elif self.mode == "fail":  # an upstream whose error page leaks its internals
                body = b"Traceback (most recent call last):\n  db password=hunter2\nRuntimeError: boom"
                self.send_response(500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:  # trickle: one SSE token every 0.3 s, for ever
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                while True:
                    chunk = {"choices": [{"index": 0, "delta": {"content": "非布司他片"}}]}
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.3)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def slow_upstream(mode: str, sleep_s: float = 30.0) -> Iterator[str]:
    """A real local HTTP server (`mode`: sleep | trickle | fail); yields its /v1 base URL."""
    handler = type("Handler", (_Upstream,), {"mode": mode, "sleep_s": sleep_s})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()
