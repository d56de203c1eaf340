"""The Generator interface: evidence + question in, answer text (with [n] markers) out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel

from kg.errors import Unavailable
from retrieval.types import Evidence, Intent, LinkedEntity


class GeneratorError(Unavailable):
    """The generator cannot answer (model files missing, server down or answering garbage)."""


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class GenerationRequest(BaseModel):
    question: str
    history: list[Turn] = []
    evidence: list[Evidence] = []
    intent: Intent | None = None
    entities: list[LinkedEntity] = []
    max_new_tokens: int | None = None


class Generator(ABC):
    """Constructors are cheap; heavy state loads once in `warm_up()` (called lazily if needed)."""

    name: str = ""

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
