"""A mirror on 127.0.0.1 standing in for the origins: real files served with Range support and
switchable faults (a dropped connection, corrupted or truncated bytes, 404, a stall)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

import pytest

from tests.servers import serve_http


@dataclass
class Mirror:
    url: str
    files: dict[str, bytes] = field(default_factory=dict)  # "/NAME/FILE" → bytes
    faults: dict[str, str] = field(default_factory=dict)  # path → drop_once | corrupt | truncate | stall
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Range header)
    stall_s: float = 3.0


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    state = Mirror(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = unquote(self.path)
            state.requests.append((path, self.headers.get("Range", "")))
            body = state.files.get(path)
            fault = state.faults.get(path, "")
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if fault == "stall":
                time.sleep(state.stall_s)
            if fault == "corrupt":
                body = body[:100] + bytes([body[100] ^ 0xFF]) + body[101:]
            if fault == "truncate":
                body = body[: len(body) // 2]
            start = 0
            rng = self.headers.get("Range", "")
            if rng.startswith("bytes="):
                start = int(rng[6:].split("-")[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            if fault == "drop_once":
                state.faults.pop(path)
                self.wfile.write(body[start:start + (len(body) - start) // 3])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body[start:])

    with serve_http(Handler) as url:
        state.url = url
        yield state
