"""Request and response bodies of the REST API (the Answer itself is models.types.Answer)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from kg.schema import EntityCard
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


class EntityOut(BaseModel):
    id: str
    type: str
    name: str
    aliases: list[str] = []
    properties: dict[str, str | list[str]] = {}
    sources: list[str] = []


class FactOut(BaseModel):
    """One related entity under a relationship type; `datasets` lists every source that states it."""

    target_id: str
    target_name: str
    target_type: str
    datasets: list[str]
    predicate: str = ""


class FactGroup(BaseModel):
    relation: str = Field(description="relationship type, e.g. INDICATED_FOR")
    direction: Literal["out", "in"]
    facts: list[FactOut]


class EntityCardOut(BaseModel):
    entity: EntityOut
    groups: list[FactGroup] = []


def card_out(card: EntityCard) -> EntityCardOut:
    """Group a card's facts by (relationship, direction), merging one target's datasets."""
    e = card.entity
    entity = EntityOut(id=e.id, type=str(e.type.value), name=e.name, aliases=list(e.aliases),
                       properties=dict(e.properties), sources=list(e.sources))
    groups: dict[tuple[str, str], dict[str, FactOut]] = {}
    for f in card.facts:
        key = (f.relation.value, "in" if f.direction.value == "in" else "out")
        # seen from the entity: the "other end" of an incoming fact is its source
        other_id, other_name = (f.target_id, f.target_name)
        bucket = groups.setdefault(key, {})
        item = bucket.get(other_id)
        if item is None:
            bucket[other_id] = FactOut(target_id=other_id, target_name=other_name,
                                       target_type=str(f.target_type.value), datasets=[f.dataset],
                                       predicate=f.predicate)
        elif f.dataset not in item.datasets:
            item.datasets.append(f.dataset)
    return EntityCardOut(
        entity=entity,
        groups=[FactGroup(relation=rel, direction=d, facts=list(items.values()))  # type: ignore[arg-type]
                for (rel, d), items in groups.items()],
    )
