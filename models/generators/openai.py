"""The `openai` generator: any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp server, …).

Talks ``POST {base_url}/chat/completions`` with httpx (no ``openai`` package needed); streaming reads
the server-sent ``data:`` lines until ``data: [DONE]``. The messages are the grounded ones
``models.prompts.build_messages`` makes — the same text the ``chat`` prompt style renders locally.
Every failure (server down, HTTP error, malformed reply) becomes a ``GeneratorError``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from models.generators.base import GenerationRequest, Generator, GeneratorError
from models.prompts import build_messages

if TYPE_CHECKING:
    import httpx

#: any object with the QIZHEN_ settings' attributes (app.settings.Settings); models/ does not import app/
SettingsLike = Any


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
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.temperature, self.top_p, self.max_tokens = temperature, top_p, max_tokens
        self.system = system
        self.timeout_s, self.connect_timeout_s = timeout_s, connect_timeout_s
        self.extra_body = dict(extra_body or {})
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: SettingsLike, **overrides: Any) -> OpenAIGenerator:
        kw: dict[str, Any] = {
            "base_url": settings.openai_base_url,
            "model": settings.openai_model,
            "api_key": settings.openai_api_key.get_secret_value(),
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "max_tokens": settings.max_new_tokens,
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
                self._client = httpx.Client(
                    base_url=self.base_url,
                    headers=headers,
                    timeout=httpx.Timeout(self.timeout_s, connect=self.connect_timeout_s),
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
            return f"openai server unreachable at {self.base_url}: {exc.__class__.__name__}"
        return "ok" if r.status_code < 400 else f"openai server answered HTTP {r.status_code} on /models"

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

    def generate(self, request: GenerationRequest) -> str:
        import httpx

        try:
            r = self.client.post("/chat/completions", json=self.payload(request, stream=False))
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        self._check(r.status_code, r.text)
        try:
            content = r.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise GeneratorError(f"openai server at {self.base_url} sent an unexpected reply: {r.text[:200]}") from exc
        return (content or "").strip()

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        import httpx

        started = False
        try:
            with self.client.stream("POST", "/chat/completions", json=self.payload(request, stream=True)) as r:
                if r.status_code >= 400:
                    self._check(r.status_code, r.read().decode("utf-8", "replace"))
                for piece in self._sse_pieces(r.iter_lines()):
                    if not started:
                        piece = piece.lstrip()
                        started = bool(piece)
                    if piece:
                        yield piece
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc

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
                raise GeneratorError(f"openai server sent a malformed stream event: {data[:200]}") from exc
            if "error" in event:
                raise GeneratorError(f"openai server error: {event['error']}")
            for choice in event.get("choices") or []:
                text = (choice.get("delta") or {}).get("content")
                if text:
                    yield text

    def _check(self, status: int, body: str) -> None:
        if status >= 400:
            raise GeneratorError(f"openai server at {self.base_url} answered HTTP {status}: {body[:300]}")

    def _unreachable(self, exc: Exception) -> GeneratorError:
        return GeneratorError(f"cannot reach the openai server at {self.base_url} ({exc.__class__.__name__}: {exc})")
