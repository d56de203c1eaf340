"""Servers for the API tests: the real app under uvicorn in a thread, slow fake upstreams, and waiting
for a server started as a subprocess to say it is healthy."""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx

from tests.servers import serve_http


def listening_pids(proc: subprocess.Popen[bytes], log: Path, event: str, want: int,
                   timeout_s: float = 180) -> list[int]:
    """Wait (bounded) for `want` of the worker supervisor's own `worker N <event>: pid P listening`
    lines (app.workers; event: started | replaced) in `log`; their pids, in order."""
    pattern = re.compile(rf"worker \d+ {event}: pid (\d+) listening")
    deadline = time.monotonic() + timeout_s  # a cold spawn on a busy 2-core machine is slow
    while True:
        pids = [int(m) for m in pattern.findall(log.read_text(errors="replace"))]
        if len(pids) >= want:
            return pids
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.1)


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
    with serve_http(type("Handler", (_Upstream,), {"mode": mode, "sleep_s": sleep_s})) as url:
        yield f"{url}/v1"


class ChatUpstream:
    """A slow OpenAI-compatible chat server's record: calls in flight and calls whose client hung up.
    Each stream sends a token every `token_s` (noticing a hang-up while it waits) for `stream_s` seconds, then a cited sentence and [DONE]
    (set `stream_s` to 0 for answers at once)."""

    def __init__(self, token_s: float, stream_s: float) -> None:
        self.token_s, self.stream_s = token_s, stream_s
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.active = self.streams = self.hung_up = 0
        self.url = ""

    def wait_idle(self, timeout_s: float) -> int:
        """Wait (bounded) until no call is in flight; the number still in flight."""
        with self.idle:
            self.idle.wait_for(lambda: self.active == 0, timeout=timeout_s)
            return self.active


class _SlowChat(BaseHTTPRequestHandler):
    seen: ChatUpstream
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _chunk(self, text: str) -> None:
        event = json.dumps({"choices": [{"index": 0, "delta": {"content": text}}]}, ensure_ascii=False)
        data = f"data: {event}\n\n".encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _client_left(self, wait_s: float) -> bool:
        """Wait up to `wait_s`; whether the client closed the connection meanwhile (as a real server
        notices a hang-up while its model is busy)."""
        readable, _, _ = select.select([self.connection], [], [], wait_s)
        try:
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen = self.seen
        with seen.lock:
            seen.active += 1
            seen.streams += 1
            until = time.monotonic() + seen.stream_s
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while time.monotonic() < until:
                if self._client_left(seen.token_s):  # a slow model: each token takes token_s
                    raise ConnectionResetError
                self._chunk("痛风")
            self._chunk("非布司他片用于痛风[1]。")
            data = b"data: [DONE]\n\n"
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            with seen.lock:
                seen.hung_up += 1
        finally:
            with seen.idle:
                seen.active -= 1
                seen.idle.notify_all()


@contextmanager
def slow_chat_upstream(token_s: float = 0.2, stream_s: float = 60.0) -> Iterator[ChatUpstream]:
    """A real local OpenAI-compatible server streaming slowly (only streams: the openai generator
    streams); yields its record, `.url` the /v1 base URL."""
    seen = ChatUpstream(token_s, stream_s)
    with serve_http(type("Handler", (_SlowChat,), {"seen": seen})) as url:
        seen.url = f"{url}/v1"
        yield seen


class FreezableProxy:
    """A TCP proxy on 127.0.0.1 in front of a real server. `freeze()` makes it look SIGSTOPped to its
    clients: connections are still accepted and bytes still taken, nothing is relayed or answered;
    `thaw()` resumes. (The test cannot stop a Bolt server it shares with other tests.)"""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.running = threading.Event()
        self.running.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._socks: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.running.clear()

    def thaw(self) -> None:
        self.running.set()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            self._socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                self.running.wait()  # frozen: hold what arrived, answer nothing
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Thaw, then end every relayed connection with a shutdown (a bare close() does not wake a
        thread blocked reading the other end: a request still waiting on the hung server would keep its
        pool thread — and the interpreter's exit, which joins pool threads — waiting forever)."""
        self._closed = True
        self.thaw()
        self._listener.close()
        for s in self._socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()
