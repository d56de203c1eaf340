"""The `openai` generator: any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp server, …).

Talks ``POST {base_url}/chat/completions`` with httpx (no ``openai`` package needed); streaming reads
the server-sent ``data:`` lines until ``data: [DONE]``. The messages are the grounded ones
``models.prompts.build_messages`` makes — the same text the ``chat`` prompt style renders locally.
Every failure (server down, HTTP error, malformed reply) becomes a ``GeneratorError``.

Bounded: at most ``max_concurrency`` calls are in flight (one more is refused at once with a
``GeneratorError``, so a slow upstream cannot take every thread of the service), and each call has
an overall deadline ``deadline_s`` besides the per-read timeout — a server trickling bytes cannot
hold a call longer: at the deadline a watchdog shuts the call's socket down, which ends a blocked
read at once. Closing a ``stream()`` iterator early (the client went away) closes its response; so
does the request's ``Cancellation`` from any thread (the API sets it when its client went away while
a pool thread is blocked reading the upstream): the socket is shut down, the call ends quietly.

Secrets: the base URL is shown without its user-info (``http://***@host/v1``) and an upstream's
error body is never put into an error message (it may hold a traceback or a password).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from kg.errors import InvalidInput
from kg.redaction import has_credentials, redact
from models.generators.base import Cancellation, GenerationRequest, Generator, GeneratorError
from models.generators.settings import GeneratorSettings
from models.prompts import build_messages

if TYPE_CHECKING:
    import httpx


def safe_url(url: str) -> str:
    """`url` without credentials (kg.redaction: every URL shape)."""
    return redact(url)


class _Watchdog:
    """Shuts a call's socket down at its deadline, which wakes a read blocked on it."""

    def __init__(self, deadline_s: float) -> None:
        self.started = time.monotonic()
        self.deadline_s = deadline_s
        self.fired = False
        self.interrupted = False  # the caller cancelled the call
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(deadline_s, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.deadline_s - (time.monotonic() - self.started)

    def watch(self, response: httpx.Response) -> None:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        with self._lock:
            self._sock = sock
            if self.fired or self.interrupted:
                self._shutdown()

    def interrupt(self) -> None:
        """The caller cancelled: shut the socket down now (or as soon as the response arrives)."""
        with self._lock:
            self.interrupted = True
            self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


class OpenAIGenerator(Generator):
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = "EMPTY",
        *,
        temperature: float = 0.4,
        top_p: float = 0.75,
        max_tokens: int = 256,
        system: str | None = None,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 5.0,
        deadline_s: float = 60.0,
        max_concurrency: int = 8,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInput(f"the generator's base URL must be an http(s) URL, got {redact(base_url)!r}")
        if has_credentials(base_url):
            # httpx would silently turn them into a Basic header in place of the bearer key
            raise InvalidInput(f"the generator's base URL carries credentials ({redact(base_url)}): put the "
                               "key in QIZHEN_OPENAI_API_KEY, not in the URL")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.temperature, self.top_p, self.max_tokens = temperature, top_p, max_tokens
        self.system = system
        self.timeout_s, self.connect_timeout_s = timeout_s, connect_timeout_s
        self.deadline_s = deadline_s
        self.max_concurrency = max(1, max_concurrency)
        self.extra_body = dict(extra_body or {})
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_concurrency)

    @property
    def safe_base_url(self) -> str:
        return safe_url(self.base_url)

    @classmethod
    def from_settings(cls, settings: GeneratorSettings, **overrides: Any) -> OpenAIGenerator:
        kw: dict[str, Any] = {
            "base_url": settings.openai_base_url,
            "model": settings.openai_model,
            "api_key": settings.openai_api_key.get_secret_value(),
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "max_tokens": settings.max_new_tokens,
            "deadline_s": getattr(settings, "generator_timeout_s", None) or getattr(settings, "request_timeout_s", 60.0),
            "max_concurrency": getattr(settings, "generator_threads", 8),
        }
        kw.update(overrides)
        return cls(**kw)

    # ------------------------------------------------------------------------------------ client

    @property
    def client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                import httpx

                headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
                read = min(self.timeout_s, self.deadline_s)
                self._client = httpx.Client(
                    base_url=self.base_url,
                    headers=headers,
                    timeout=httpx.Timeout(read, connect=min(self.connect_timeout_s, self.deadline_s)),
                    limits=httpx.Limits(max_connections=self.max_concurrency + 1),  # + the status probe
                )
            return self._client

    def warm_up(self) -> None:
        self.client  # noqa: B018 - opens the connection pool; the server may come up later

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def status(self) -> str:
        import httpx

        try:
            r = self.client.get("/models", timeout=self.connect_timeout_s)
        except httpx.HTTPError as exc:
            return f"unreachable ({exc.__class__.__name__})"
        return "ok" if r.status_code < 400 else f"upstream answered HTTP {r.status_code}"

    # ------------------------------------------------------------------------------------ requests

    def messages(self, request: GenerationRequest) -> list[dict[str, str]]:
        return build_messages(request.question, request.history, request.evidence, system=self.system)

    def payload(self, request: GenerationRequest, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": self.messages(request),
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": request.max_new_tokens or self.max_tokens,
            "stream": stream,
        }
        body.update(self.extra_body)
        return body

    @contextmanager
    def _call(self, cancel: Cancellation | None = None) -> Iterator[_Watchdog]:
        """One bounded call: a concurrency slot (or GeneratorError at once), a deadline watchdog, and
        the request's cancellation wired to the watchdog."""
        if not self._slots.acquire(blocking=False):
            raise GeneratorError(f"openai generator busy: {self.max_concurrency} calls already in flight")
        watchdog = _Watchdog(self.deadline_s)
        try:
            with cancel.on_cancel(watchdog.interrupt) if cancel is not None else nullcontext():
                yield watchdog
        finally:
            watchdog.cancel()
            self._slots.release()

    def generate(self, request: GenerationRequest) -> str:
        """The non-streaming call, read through the same stream path so the deadline covers the body."""
        import httpx

        with self._call(request.cancel) as watchdog:
            try:
                with self.client.stream("POST", "/chat/completions", json=self.payload(request, stream=False)) as r:
                    watchdog.watch(r)
                    body = self._read_body(r, watchdog)
            except httpx.HTTPError as exc:
                raise self._failure(exc, watchdog) from exc
            if watchdog.fired or watchdog.interrupted:  # a shut-down socket may read as a clean end
                raise self._failure(None, watchdog)
            self._check(r.status_code)
            try:
                content = json.loads(body)["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise GeneratorError(f"openai server at {self.safe_base_url} sent an unexpected reply") from exc
            return (content or "").strip()

    def _read_body(self, r: httpx.Response, watchdog: _Watchdog) -> bytes:
        chunks: list[bytes] = []
        for chunk in r.iter_bytes():
            chunks.append(chunk)
            if watchdog.remaining() <= 0:
                raise self._deadline()
        return b"".join(chunks)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        import httpx

        started = False
        with self._call(request.cancel) as watchdog:
            try:
                with self.client.stream("POST", "/chat/completions", json=self.payload(request, stream=True)) as r:
                    watchdog.watch(r)
                    if r.status_code >= 400:
                        self._check(r.status_code)
                    for piece in self._sse_pieces(r.iter_lines()):
                        if watchdog.interrupted:
                            return
                        if watchdog.remaining() <= 0:
                            raise self._deadline()
                        if not started:
                            piece = piece.lstrip()
                            started = bool(piece)
                        if piece:
                            yield piece
            except httpx.HTTPError as exc:
                if watchdog.interrupted:  # nobody reads this answer any more: end quietly
                    return
                raise self._failure(exc, watchdog) from exc
            except GeneratorError:  # e.g. a line cut in half by the shut-down socket
                if watchdog.interrupted:
                    return
                raise
            if watchdog.interrupted:
                return
            if watchdog.fired:
                raise self._deadline()

    def _sse_pieces(self, lines: Iterator[str]) -> Iterator[str]:
        for line in lines:
            if not line.startswith("data:"):
                continue  # blank separators, comments (": ping"), event:/id: fields
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                return
            try:
                event = json.loads(data)
            except json.JSONDecodeError as exc:
                raise GeneratorError("openai server sent a malformed stream event") from exc
            if "error" in event:  # the upstream's own text stays out of our messages
                raise GeneratorError("openai server reported an error in the stream")
            for choice in event.get("choices") or []:
                text = (choice.get("delta") or {}).get("content")
                if text:
                    yield text

    def _check(self, status: int) -> None:
        if status >= 400:
            raise GeneratorError(f"openai server at {self.safe_base_url} answered HTTP {status}")

    def _deadline(self) -> GeneratorError:
        return GeneratorError(f"openai server at {self.safe_base_url} did not finish within {self.deadline_s:g} s")

    def _failure(self, exc: Exception | None, watchdog: _Watchdog) -> GeneratorError:
        if watchdog.interrupted:
            return GeneratorError(f"the call to the openai server at {self.safe_base_url} was cancelled")
        if watchdog.fired:
            return self._deadline()
        return GeneratorError(f"cannot reach the openai server at {self.safe_base_url} ({type(exc).__name__})")
