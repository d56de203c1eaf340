"""The Generator interface: evidence + question in, answer text (with [n] markers) out."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kg.errors import Unavailable
from retrieval.types import Evidence, Intent, LinkedEntity


class GeneratorError(Unavailable):
    """The generator cannot answer (model files missing, server down or answering garbage)."""


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Cancellation:
    """Set by whoever stops reading an answer (the API, when its client went away or the deadline
    passed). A generator blocked in another thread registers what unblocks it — closing its
    upstream response, stopping a model's generation — so an abandoned stream frees its upstream
    call and its thread at once instead of at the deadline."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            fn()

    @contextmanager
    def on_cancel(self, fn: Callable[[], None]) -> Iterator[None]:
        """Run `fn` (from the cancelling thread) if cancelled while the block runs — at once if already."""
        with self._lock:
            now = self._event.is_set()
            if not now:
                self._callbacks.append(fn)
        if now:
            fn()
        try:
            yield
        finally:
            with self._lock:
                if fn in self._callbacks:
                    self._callbacks.remove(fn)


class GenerationRequest(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    question: str
    history: list[Turn] = []
    evidence: list[Evidence] = []
    intent: Intent | None = None
    entities: list[LinkedEntity] = []
    max_new_tokens: int | None = None
    #: set when nobody reads the answer any more; generators that wait stop early (see Cancellation)
    cancel: Cancellation | None = Field(default=None, exclude=True)


class Generator(ABC):
    """Constructors are cheap; heavy state loads once in `warm_up()` (called lazily if needed)."""

    name: str = ""
    #: answers from the evidence alone, in-process, in about a millisecond and deterministically: the
    #: API runs it in its CPU pool (no pool of its own) and caches its answers per graph snapshot
    local: bool = False

    def warm_up(self) -> None:  # noqa: B027 - optional hook
        """Load models / open clients once."""

    @abstractmethod
    def generate(self, request: GenerationRequest) -> str: ...

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Yield text pieces; the default yields the whole answer at once."""
        yield self.generate(request)

    def status(self) -> str:
        """'ok' when ready, otherwise a short reason (for /health)."""
        return "ok"
