"""Pure ASGI guards that run before FastAPI reads or parses a request body.

`ApiKeyMiddleware` answers 401 from the headers alone, so a client without the key cannot make the
server read a byte of its body. `BodyLimitMiddleware` refuses a declared Content-Length above the
limit at once and counts the bytes of a streamed (chunked) body, answering 413 as soon as they pass
the limit — the server never holds more than the limit of one request's body in memory.
`BodyTimeoutMiddleware` gives the whole body a deadline (slowloris: a body trickled a byte a second
would otherwise hold its connection for ever — uvicorn bounds only the idle time between requests):
408 and the connection closed.
"""

from __future__ import annotations

import asyncio
import hmac
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import message_for


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


async def send_error(send: Send, status: int, code: str, headers: dict[str, str] | None = None,
                     **fmt: object) -> None:
    body = json.dumps({"error": code, "message": message_for(code, **fmt)}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           (b"connection", b"close")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def offered_key(scope: Scope) -> str | None:
    """The key from `X-API-Key`, else from `Authorization: Bearer …`."""
    bearer = None
    for name, value in scope.get("headers", []):
        if name == b"x-api-key":
            return value.decode("latin-1")
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                bearer = token.strip()
    return bearer


def key_matches(offered: str | None, expected: str) -> bool:
    return offered is not None and hmac.compare_digest(offered.encode("utf-8"), expected.encode("utf-8"))


class ApiKeyMiddleware:
    """401 for every path but the public ones unless the request carries the key (constant-time
    comparison). CORS preflights (OPTIONS) pass: browsers never send credentials with them."""

    def __init__(self, app: ASGIApp, key: str, public: frozenset[str]) -> None:
        self.app = app
        self.key = key
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] == "OPTIONS" or scope["path"] in self.public
                or key_matches(offered_key(scope), self.key)):
            await self.app(scope, receive, send)
            return
        await send_error(send, 401, "unauthorized", {"WWW-Authenticate": "Bearer"})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await send_error(send, 400, "bad_request")
                    return
                if declared > self.max_bytes:
                    await send_error(send, 413, "body_too_large", limit=self.max_bytes)
                    return
        seen = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise _TooLarge  # FastAPI may turn this into its own 400: replaced below
            return message

        async def guarded_send(message: Message) -> None:
            if not too_large:  # once over the limit, the app's own answer is dropped for the 413
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            pass
        except Exception:
            if not too_large:
                raise
        if too_large:
            await send_error(send, 413, "body_too_large", limit=self.max_bytes)


class BodyTimeoutMiddleware:
    """The request body must be complete within `timeout_s` of the request's start; past it the
    app's receive() fails, its answer is replaced by 408 JSON with `Connection: close` (uvicorn then
    closes the connection). Once the body is complete, receive() is passed through untouched: a
    streaming response waits on it for the client's disconnect."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.timeout_s <= 0:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        body_done = too_slow = started = False

        async def timed_receive() -> Message:
            nonlocal body_done, too_slow
            if body_done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.0, deadline - loop.time()))
            except TimeoutError:
                too_slow = True
                raise _TooSlow from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if not too_slow:  # once too slow, the app's own answer is dropped for the 408
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except _TooSlow:
            pass
        except Exception:
            if not too_slow:
                raise
        if too_slow and not started:
            await send_error(send, 408, "body_timeout", seconds=self.timeout_s)
