"""An in-memory GraphStore for the fine-tuning tests (a real subclass of the interface)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kg.normalize import normalize_name
from kg.schema import Direction, Entity, Fact, GraphStats, NameEntry, NodeType, Relation, RelType
from kg.stores.base import GraphStore


class MemoryStore(GraphStore):
    kind = "memory"

    def __init__(self) -> None:
        self.entities: dict[str, Entity] = {}
        self.relations: dict[tuple[str, str, str, str], Relation] = {}
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def ping(self, timeout_s: float = 2.0) -> None:
        return None

    def upsert_entities(self, entities: Sequence[Entity]) -> int:
        for e in entities:
            old = self.entities.get(e.id)
            self.entities[e.id] = old.merge(e) if old else e
        return len(entities)

    def upsert_relations(self, relations: Sequence[Relation]) -> int:
        for r in relations:
            if r.source_id not in self.entities or r.target_id not in self.entities:
                raise ValueError(f"missing endpoint for {r}")
        n = 0
        for r in relations:
            if r.key not in self.relations:
                self.relations[r.key] = r
                n += 1
        return n

    def clear(self) -> None:
        self.entities.clear()
        self.relations.clear()

    def get_entities(self, ids: Sequence[str]) -> list[Entity]:
        return [self.entities[i] for i in ids if i in self.entities]

    def find_by_name(self, name: str, types: Sequence[NodeType] | None = None) -> list[Entity]:
        key = normalize_name(name)
        own = [e for e in self.entities.values() if normalize_name(e.name) == key]
        alias = [e for e in self.entities.values()
                 if e not in own and key in {normalize_name(a) for a in e.aliases}]
        hits = sorted(own, key=lambda e: e.id) + sorted(alias, key=lambda e: e.id)
        return [e for e in hits if types is None or e.type in types]

    def facts(self, entity_id: str, rel_types: Sequence[RelType] | None = None,
              direction: Direction = Direction.OUT, limit: int | None = None) -> list[Fact]:
        out: list[Fact] = []
        for r in self.relations.values():
            if rel_types is not None and r.type not in rel_types:
                continue
            if direction in (Direction.OUT, Direction.BOTH) and r.source_id == entity_id:
                t = self.entities[r.target_id]
                out.append(Fact(entity_id, self.entities[entity_id].name, r.type, t.id, t.name, t.type,
                                r.dataset, r.predicate, Direction.OUT))
            if direction in (Direction.IN, Direction.BOTH) and r.target_id == entity_id:
                s = self.entities[r.source_id]
                out.append(Fact(entity_id, self.entities[entity_id].name, r.type, s.id, s.name, s.type,
                                r.dataset, r.predicate, Direction.IN))
        out.sort(key=lambda f: (f.relation.value, f.direction != Direction.OUT, f.target_name, f.target_id,
                                f.dataset))
        return out[:limit] if limit is not None else out

    def iter_entities(self, batch_size: int = 10_000) -> Iterator[list[Entity]]:
        ents = list(self.entities.values())  # insertion order: the builder must not depend on it
        for i in range(0, len(ents), batch_size):
            yield ents[i: i + batch_size]

    def name_index(self) -> list[NameEntry]:
        return [NameEntry(e.id, e.type, e.name, tuple(e.aliases)) for e in self.entities.values()]

    def stats(self) -> GraphStats:
        nodes: dict[str, int] = {}
        for e in self.entities.values():
            nodes[e.type.value] = nodes.get(e.type.value, 0) + 1
        rels: dict[str, int] = {}
        for r in self.relations.values():
            rels[r.type.value] = rels.get(r.type.value, 0) + 1
        return GraphStats(nodes, rels, self.snapshot())

    def snapshot(self) -> str:
        return f"mem-{len(self.entities)}-{len(self.relations)}"

    def all_facts(self, rel_types: Sequence[RelType] | None = None, batch_size: int = 50_000) -> Iterator[list[Fact]]:
        """The bulk path LadybugStore offers (unordered batches of OUT facts)."""
        ids = list(self.entities)
        facts = [f for i in reversed(ids) for f in self.facts(i, rel_types)]
        for start in range(0, len(facts), batch_size):
            yield facts[start:start + batch_size]


class NoBulkMemoryStore(MemoryStore):
    """The same store without the bulk path: the builder must fall back to per-entity facts()."""

    all_facts = None  # type: ignore[assignment]
