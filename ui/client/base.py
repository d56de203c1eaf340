"""The one interface the Streamlit page talks to."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from app.cards import EntityCardOut
from app.case_summary import CaseSummaryOut
from app.feedback import FeedbackIn
from models.generators.base import Turn
from models.types import Answer, EntityRef


class StreamItem(BaseModel):
    """One streamed event: evidence | token | citations | done (data is the event's JSON object)."""

    event: str
    data: dict[str, Any]


class ClientError(RuntimeError):
    """The service answered with an error (or not at all); `code` is the API's error code."""

    def __init__(self, code: str, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class QAClient(ABC):
    @abstractmethod
    def ask(self, question: str, history: Sequence[Turn] = (), *, generator: str | None = None,
            top_k: int | None = None) -> Answer: ...

    @abstractmethod
    def ask_stream(self, question: str, history: Sequence[Turn] = (), *, generator: str | None = None,
                   top_k: int | None = None) -> Iterator[StreamItem]: ...

    @abstractmethod
    def entity_card(self, entity_id: str) -> EntityCardOut | None: ...

    @abstractmethod
    def entity_by_name(self, name: str) -> EntityCardOut | None: ...

    @abstractmethod
    def resolve(self, names: Sequence[str]) -> list[EntityRef]:
        """Which names (from an answer's text) are graph entities, for links."""

    @abstractmethod
    def in_text(self, text: str) -> CaseSummaryOut:
        """The drugs and diseases a case summary names, with questions to pick (case-summary mode)."""

    @abstractmethod
    def feedback(self, feedback: FeedbackIn, reporter: str = "") -> None:
        """`reporter`: an opaque id of the UI session (a hash, never the session id), so the report
        counts distinct clinicians; the API honours it only from a caller holding its key."""

    @abstractmethod
    def health(self) -> dict[str, str]: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
