"""The GraphStore interface every backend implements (embedded ladybug, Neo4j)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from kg.errors import Unavailable
from kg.schema import Direction, Entity, EntityCard, Fact, GraphStats, NameEntry, NodeType, Relation, RelType


class EdgeRow(NamedTuple):
    """One stored relationship as a plain row of its identity and flag (whole-graph passes such
    as kg.cleaning read hundreds of thousands: a tuple costs a fraction of a Fact, and names
    come once per node from `name_index`)."""

    source_id: str
    target_id: str
    dataset: str
    flag: str


class StoreUnavailable(Unavailable):
    """The backend cannot be reached (server down, database locked); callers map it to 503."""


class GraphStore(ABC):
    """Batch writes, entity cards, facts and name lookup over the medical graph.

    Constructors must be cheap and must not connect: connection happens lazily on first use
    (or in `open()`), so a service can start and report 'degraded' when the store is down.
    """

    #: the settings string that selects this backend
    kind: str = ""

    # -- lifecycle -------------------------------------------------------------------------
    def open(self) -> None:  # noqa: B027 - optional hook
        """Connect / create schema eagerly (otherwise done on first use)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> GraphStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def ping(self, timeout_s: float = 2.0) -> None:
        """Raise StoreUnavailable unless the store answers within `timeout_s`."""

    # -- writes ----------------------------------------------------------------------------
    @abstractmethod
    def upsert_entities(self, entities: Sequence[Entity]) -> int:
        """Insert or merge (Entity.merge semantics against what is stored). Returns rows written."""

    @abstractmethod
    def upsert_relations(self, relations: Sequence[Relation]) -> int:
        """Insert edges whose key (source, type, target, dataset) is new; both ends must exist."""

    def set_flags(self, relations: Sequence[Relation]) -> int:
        """Set the stored `flag` of each relation with the same key (source, type, target,
        dataset) to the given relation's flag (the cleaning stage's reason, "" = usable); keys
        that are not stored are ignored. The snapshot moves when a flag changes. Both real
        backends implement it; read-only fakes need not."""
        raise NotImplementedError(f"{type(self).__name__} cannot store cleaning flags")

    @abstractmethod
    def clear(self) -> None:
        """Delete everything (tests, `kg ingest --reset`)."""

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """A bulk-load block (kg.ingest wraps each source in one, on the thread that writes).
        Backends may stage writes until it ends (ladybug COPYs staged relationships once per
        type); the default writes immediately."""
        yield

    # -- reads -----------------------------------------------------------------------------
    @abstractmethod
    def get_entities(self, ids: Sequence[str]) -> list[Entity]:
        """Entities for the ids that exist, in no particular order."""

    def get_entity(self, entity_id: str) -> Entity | None:
        found = self.get_entities([entity_id])
        return found[0] if found else None

    @abstractmethod
    def find_by_name(self, name: str, types: Sequence[NodeType] | None = None) -> list[Entity]:
        """Exact match on normalized name or any normalized alias."""

    @abstractmethod
    def facts(
        self,
        entity_id: str,
        rel_types: Sequence[RelType] | None = None,
        direction: Direction = Direction.OUT,
        limit: int | None = None,
    ) -> list[Fact]:
        """Relationships of one entity, filtered by type and direction, deterministic order."""

    def card(self, entity_id: str, limit_per_type: int = 200) -> EntityCard | None:
        entity = self.get_entity(entity_id)
        if entity is None:
            return None
        facts = self.facts(entity_id, direction=Direction.BOTH)
        kept: list[Fact] = []
        seen: dict[tuple[str, str], int] = {}
        for f in facts:
            k = (f.relation.value, f.direction.value)
            seen[k] = seen.get(k, 0) + 1
            if seen[k] <= limit_per_type:
                kept.append(f)
        return EntityCard(entity=entity, facts=kept)

    def card_by_name(self, name: str) -> EntityCard | None:
        found = self.find_by_name(name)
        return self.card(found[0].id) if found else None

    @abstractmethod
    def iter_entities(self, batch_size: int = 10_000) -> Iterator[list[Entity]]:
        """Every entity, in batches (for building the linker and the passage index)."""

    def all_facts(self, rel_types: Sequence[RelType] | None = None,
                  batch_size: int = 50_000) -> Iterator[list[Fact]]:
        """Every outgoing fact of the given types, in batches, unordered (bulk consumers such as the
        fine-tuning data builder). This default walks entity by entity; backends override it with
        one scan per relationship type."""
        batch: list[Fact] = []
        for entities in self.iter_entities():
            for e in entities:
                batch += self.facts(e.id, rel_types, Direction.OUT)
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def edge_rows(self, rel_type: RelType) -> list[EdgeRow]:
        """Every stored relationship of one type, unordered. Backends may override this with a
        cheaper scan; the default goes through `all_facts`."""
        return [EdgeRow(f.entity_id, f.target_id, f.dataset, f.flag)
                for batch in self.all_facts([rel_type]) for f in batch]

    @abstractmethod
    def name_index(self) -> list[NameEntry]:
        """(id, type, name, aliases) of every node — the linker's input, without long texts."""

    def described_ids(self) -> set[str]:
        """Ids of entities some source record is *about* (the linker prefers them).
        Backends should override this with a single cheap query."""
        return {e.id for batch in self.iter_entities() for e in batch if e.described}

    @abstractmethod
    def stats(self) -> GraphStats: ...

    @abstractmethod
    def snapshot(self) -> str:
        """An id that changes whenever the content changes (cheap to compute)."""
