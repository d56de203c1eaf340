"""The answer object: what `qizhen ask --json` prints and `POST /ask` returns."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EntityRef(BaseModel):
    id: str
    name: str
    type: str


class Citation(BaseModel):
    index: int
    entity: str
    entity_type: str
    field: str
    text: str
    source: str
    entity_id: str = ""


class Answer(BaseModel):
    answer: str
    grounded: bool
    intent: str
    entities: list[EntityRef] = []
    citations: list[Citation] = []
    unsupported: list[str] = Field(default_factory=list, description="sentences whose facts are not in the evidence")
    removed_markers: list[int] = Field(default_factory=list, description="[n] markers that pointed nowhere")
    snapshot: str = ""
    generator: str = ""
    timings_ms: dict[str, float] = {}
