"""An entity card's facts grouped by (relationship, direction), one target's datasets merged: the
raw part of the served card, under the clinician layout that app.cards builds on it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from kg.schema import EntityCard


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


class CardGroups(BaseModel):
    """The raw part of the served card (`app.cards.EntityCardOut`), kept for API clients."""

    entity: EntityOut
    groups: list[FactGroup] = []


def card_groups(card: EntityCard) -> CardGroups:
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
    return CardGroups(
        entity=entity,
        groups=[FactGroup(relation=rel, direction=d, facts=list(items.values()))  # type: ignore[arg-type]
                for (rel, d), items in groups.items()],
    )
