"""Cached reads of one entity's node and facts, for the per-question hot path.

Results are kept in a small LRU: a service opens its graph read-only and sees one snapshot for its
lifetime, so a cached read never goes stale within the process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from kg.schema import Direction, Entity, Fact, RelType
from kg.stores.base import GraphStore


class GraphReader:
    def __init__(self, store: GraphStore, capacity: int = 4096) -> None:
        self.store = store
        self._capacity = capacity
        self._cache: OrderedDict[tuple[str, str], object] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, key: tuple[str, str]) -> object | None:
        with self._lock:
            value = self._cache.get(key)
            if value is not None:
                self._cache.move_to_end(key)
            return value

    def _put(self, key: tuple[str, str], value: object) -> None:
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def entity(self, entity_id: str) -> Entity | None:
        key = ("entity", entity_id)
        hit = self._get(key)
        if hit is None:
            hit = self.store.get_entity(entity_id) or False
            self._put(key, hit)
        return hit or None  # type: ignore[return-value]

    def entities(self, ids: Iterable[str]) -> list[Entity]:
        """In the given order; the ones not cached yet are read in one query."""
        ids = list(ids)
        missing = [i for i in dict.fromkeys(ids) if self._get(("entity", i)) is None]
        if len(missing) > 1:
            found = {e.id: e for e in self.store.get_entities(missing)}
            for i in missing:
                self._put(("entity", i), found.get(i) or False)
        return [e for e in (self.entity(i) for i in ids) if e is not None]

    def facts(self, entity_id: str, rels: Sequence[RelType], direction: Direction) -> list[Fact]:
        """Facts of the given types (cached per entity, types and direction); BOTH = out then in.
        Only the asked types are read: a hub such as 头痛 has thousands of incoming edges of
        types the question does not need."""
        key = (f"{direction.value}:{','.join(sorted(r.value for r in rels))}", entity_id)
        hit = self._get(key)
        if hit is None:
            hit = self.store.facts(entity_id, list(rels), direction)
            self._put(key, hit)
        return hit  # type: ignore[return-value]
