"""Graph vocabulary and the typed records that cross module boundaries.

One node per real-world entity: ids derive from the *normalized* name only, so the same
disease from CMeKG, xywy and 39health lands on one node whatever order they are ingested in.
The node type is a property that a describing record (a source's own subject) may upgrade
from a weaker guess made when the name was only mentioned as an object.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import NamedTuple

from kg.normalize import normalize_name


class NodeType(StrEnum):
    DRUG = "Drug"
    DISEASE = "Disease"
    SYMPTOM = "Symptom"
    CHECK = "Check"
    DEPARTMENT = "Department"
    INGREDIENT = "Ingredient"
    FOOD = "Food"
    CATEGORY = "Category"
    CAUSE = "Cause"
    CONCEPT = "Concept"  # anything a source names that fits none of the above

    @classmethod
    def parse(cls, value: str) -> NodeType:
        """The type named `value`; a name this code does not know (a newer graph's) reads as CONCEPT."""
        try:
            return cls(value)
        except ValueError:
            return cls.CONCEPT


class RelType(StrEnum):
    INDICATED_FOR = "INDICATED_FOR"  # Drug → Disease | Symptom (适应症/主治/功能主治)
    ADVERSE_REACTION = "ADVERSE_REACTION"  # Drug → Symptom (不良反应)
    CONTRAINDICATED = "CONTRAINDICATED"  # Drug → * (禁忌)
    INTERACTS_WITH = "INTERACTS_WITH"  # Drug → Drug (相互作用)
    HAS_INGREDIENT = "HAS_INGREDIENT"  # Drug → Ingredient (成份)
    IN_CATEGORY = "IN_CATEGORY"  # Drug → Category (分类)
    #: Drug → Category: its ATC class (or the 中成药 marker); `dataset` = how it was derived
    #: ("atc" table, "inn-stem", "name-pattern", "source-class"; kg.classes.DERIVATION_DATASETS)
    IN_CLASS = "IN_CLASS"
    HAS_SYMPTOM = "HAS_SYMPTOM"  # Disease → Symptom
    NEEDS_CHECK = "NEEDS_CHECK"  # Disease → Check
    TREATED_BY = "TREATED_BY"  # Disease → Drug
    IN_DEPARTMENT = "IN_DEPARTMENT"  # Disease → Department
    COMPLICATION = "COMPLICATION"  # Disease → Disease
    HAS_CAUSE = "HAS_CAUSE"  # Disease → Cause
    GOOD_FOOD = "GOOD_FOOD"  # Disease → Food
    AVOID_FOOD = "AVOID_FOOD"  # Disease → Food
    RELATED_TO = "RELATED_TO"  # any other entity-valued source predicate (kept in `predicate`)




class Direction(StrEnum):
    OUT = "out"
    IN = "in"
    BOTH = "both"


#: How strongly a node type claim is believed when two sources disagree; higher wins.
TYPE_PRIORITY: dict[NodeType, int] = {
    NodeType.CONCEPT: 0,
    NodeType.CAUSE: 1,
    NodeType.CATEGORY: 2,
    NodeType.FOOD: 3,
    NodeType.DEPARTMENT: 3,
    NodeType.CHECK: 4,
    NodeType.INGREDIENT: 4,
    NodeType.SYMPTOM: 5,
    NodeType.DRUG: 6,
    NodeType.DISEASE: 7,
}


def entity_id(name: str) -> str:
    """Stable, URL-safe id from the normalized name (type-independent by design)."""
    key = normalize_name(name)
    return "e" + hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


PropValue = str | list[str]

#: A property value at most this long is recorded with its dataset when two datasets disagree
#: (a card value such as 药品监管分级 or 治疗费用); longer texts keep only which datasets wrote them.
SHORT_VALUE_CHARS = 80


class NameEntry(NamedTuple):
    """One node's names (`GraphStore.name_index()`), without its texts: what the linker and the
    sources' name resolution build on."""

    id: str
    type: NodeType
    name: str
    aliases: tuple[str, ...] = ()

    @classmethod
    def of(cls, id_: str, type_: str, name: str, aliases: Iterable[str] | None = ()) -> NameEntry:
        """From stored values; a type this version does not know reads as a concept."""
        try:
            node_type = NodeType(type_)
        except ValueError:
            node_type = NodeType.CONCEPT
        return cls(id_, node_type, name, tuple(aliases or ()))


@dataclass(frozen=True, slots=True, order=True)
class PropSource:
    """Who wrote one entity property: the dataset, the source's own field (xywy
    `gaishu_info.desc`, a CMeKG predicate), and — only when datasets disagree on a short value —
    the value this dataset gave, so a card can show both instead of one silently."""

    dataset: str
    field: str = ""
    value: str = ""


@dataclass(slots=True)
class Entity:
    """A graph node. `described` is True when a source record is *about* this entity
    (not merely mentioning it): described types beat guessed ones on merge.

    `property_sources` is the provenance recorded at ingest: property key → the sources that
    wrote it (merged across datasets). Empty for graphs built before provenance was recorded."""

    id: str
    type: NodeType
    name: str
    aliases: list[str] = field(default_factory=list)
    properties: dict[str, PropValue] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    described: bool = False
    property_sources: dict[str, list[PropSource]] = field(default_factory=dict)

    @classmethod
    def named(cls, name: str, type: NodeType, **kw: object) -> Entity:
        return cls(id=entity_id(name), type=type, name=name, **kw)  # type: ignore[arg-type]

    def merge(self, other: Entity) -> Entity:
        """Combine two records of the same node (same id); order-independent for lists."""
        if other.id != self.id:
            raise ValueError(f"cannot merge {self.id} with {other.id}")
        mine = (self.described, TYPE_PRIORITY[self.type])
        theirs = (other.described, TYPE_PRIORITY[other.type])
        winner, loser = (self, other) if mine >= theirs else (other, self)
        props: dict[str, PropValue] = {}
        for key in sorted(set(self.properties) | set(other.properties)):
            props[key] = _merge_value(loser.properties.get(key), winner.properties.get(key))
        prov: dict[str, list[PropSource]] = {}
        for key in sorted(set(self.property_sources) | set(other.property_sources)):
            prov[key] = _merge_sources(self.property_sources.get(key, []), self.properties.get(key),
                                       other.property_sources.get(key, []), other.properties.get(key))
        name = winner.name if winner.described or not loser.described else loser.name
        aliases = sorted((set(self.aliases) | set(other.aliases) | {self.name, other.name}) - {name})
        return Entity(
            id=self.id,
            type=winner.type,
            name=name,
            aliases=aliases,
            properties=props,
            sources=sorted(set(self.sources) | set(other.sources)),
            described=self.described or other.described,
            property_sources=prov,
        )

    def datasets_of(self, key: str) -> list[str]:
        """The datasets recorded as writing property `key` ([] when none was recorded)."""
        return sorted({s.dataset for s in self.property_sources.get(key, [])})

    def conflicts(self) -> dict[str, list[PropSource]]:
        """Properties whose datasets gave different short values: key → one source per value."""
        out: dict[str, list[PropSource]] = {}
        for key, srcs in self.property_sources.items():
            if len({s.value for s in srcs if s.value}) > 1:
                out[key] = [s for s in srcs if s.value]
        return out


def provenance(properties: dict[str, PropValue], dataset: str,
               fields: dict[str, str] | None = None) -> dict[str, list[PropSource]]:
    """The provenance of one source record's properties: each key written by `dataset`, from
    the source field `fields[key]` (default: the key itself, e.g. a CMeKG predicate)."""
    fields = fields or {}
    return {k: [PropSource(dataset, fields.get(k, k))] for k in properties}


def _with_value(srcs: list[PropSource], value: PropValue | None) -> list[PropSource]:
    """Attach the (short) value to sources that do not carry one yet."""
    if value is None or any(s.value for s in srcs):
        return srcs
    text = value if isinstance(value, str) else "、".join(value)
    if not text or len(text) > SHORT_VALUE_CHARS:
        return srcs
    return [replace(s, value=text) for s in srcs]


def _merge_sources(a: list[PropSource], va: PropValue | None, b: list[PropSource],
                   vb: PropValue | None) -> list[PropSource]:
    """Union of two provenance lists; when different datasets gave different values, each side
    keeps its value (symmetric, so merge order does not matter)."""
    if a and b and va != vb and {s.dataset for s in a} != {s.dataset for s in b}:
        a, b = _with_value(a, va), _with_value(b, vb)
    merged = sorted(set(a) | set(b))
    valued = {(s.dataset, s.field) for s in merged if s.value}
    return [s for s in merged if s.value or (s.dataset, s.field) not in valued]


def _merge_value(a: PropValue | None, b: PropValue | None) -> PropValue:
    if a is None:
        return b if b is not None else ""
    if b is None or a == b:
        return a
    items: list[str] = []
    for v in (a, b):
        for x in [v] if isinstance(v, str) else v:
            if x and x not in items:
                items.append(x)
    return items[0] if len(items) == 1 else items


@dataclass(frozen=True, slots=True)
class Relation:
    """An edge; identity is (source_id, type, target_id, dataset), so re-ingesting is idempotent."""

    source_id: str
    type: RelType
    target_id: str
    dataset: str
    predicate: str = ""  # the source's own predicate name, e.g. 适应症 or 功能主治
    #: why the cleaning stage keeps this edge out of answers ("" = a usable fact); flagged edges
    #: stay in the graph (kg audit reports them, cards fold them under 低置信度)
    flag: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.source_id, self.type.value, self.target_id, self.dataset)


@dataclass(frozen=True, slots=True)
class Fact:
    """One relationship seen from an entity, with the other end resolved to a name."""

    entity_id: str
    entity_name: str
    relation: RelType
    target_id: str
    target_name: str
    target_type: NodeType
    dataset: str
    predicate: str = ""
    direction: Direction = Direction.OUT
    flag: str = ""  # the cleaning stage's reason when this fact is not an answer item ("" = usable)


@dataclass(slots=True)
class EntityCard:
    """Everything shown when a clinician clicks an entity."""

    entity: Entity
    facts: list[Fact] = field(default_factory=list)

    def grouped(self) -> dict[str, list[Fact]]:
        """Facts by relationship type; incoming ones are keyed `TYPE<-`."""
        out: dict[str, list[Fact]] = {}
        for f in self.facts:
            key = f.relation.value if f.direction == Direction.OUT else f"{f.relation.value}<-"
            out.setdefault(key, []).append(f)
        return out


@dataclass(frozen=True, slots=True)
class GraphStats:
    nodes: dict[str, int]
    relationships: dict[str, int]
    snapshot: str

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_relationships(self) -> int:
        return sum(self.relationships.values())
