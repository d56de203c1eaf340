"""Request bodies of the REST API (the Answer is models.types.Answer, the entity card app.cards.EntityCardOut)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from models.generators.base import Turn

MAX_HISTORY_TURNS = 40


class AskRequest(BaseModel):
    question: str = Field(min_length=1, pattern=r"[^ \t\n\r\f\v]",
                          description="the question (not blank); longer than max_question_chars gives 413")
    history: list[Turn] = Field(default=[], max_length=MAX_HISTORY_TURNS,
                                description="earlier turns of this conversation, oldest first")
    generator: str | None = Field(default=None, max_length=64, description="override the configured generator")
    top_k: int | None = Field(default=None, ge=1, le=50, description="number of evidence items")

    @field_validator("top_k", mode="before")
    @classmethod
    def _top_k_not_bool(cls, v: object) -> object:
        """JSON true is not the integer 1 (pydantic would coerce it; the schema says integer)."""
        if isinstance(v, bool):
            raise ValueError("expected an integer, got a boolean")
        return v
