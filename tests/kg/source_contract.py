"""The contract every dataset reader (kg.sources.base.Source) must keep. A new source runs it by
subclassing `SourceContract` and providing `make_source()` (see README "Extending")."""

from __future__ import annotations

from kg.schema import Entity, Relation
from kg.sources.base import Reject, Source, SourceRecord


class SourceContract:
    #: the dataset name the reader must record on every fact
    dataset: str = ""
    #: whether the fixture holds at least one bad record (then a Reject must say where it was)
    has_rejects: bool = False

    def make_source(self) -> Source:
        raise NotImplementedError

    def _items(self) -> list[SourceRecord | Reject]:
        src = self.make_source()
        return list(src.read(None))

    def test_name_is_the_dataset(self) -> None:
        assert self.make_source().name == self.dataset

    def test_yields_typed_items_and_some_records(self) -> None:
        items = self._items()
        assert all(isinstance(i, SourceRecord | Reject) for i in items)
        records = [i for i in items if isinstance(i, SourceRecord)]
        assert records and any(r.entities for r in records)
        assert all(isinstance(e, Entity) for r in records for e in r.entities)
        assert all(isinstance(x, Relation) for r in records for x in r.relations)

    def test_every_fact_carries_the_dataset(self) -> None:
        for item in self._items():
            if isinstance(item, SourceRecord):
                assert all(rel.dataset == self.dataset for rel in item.relations)
                assert all(self.dataset in e.sources for e in item.entities)

    def test_relation_endpoints_were_yielded_first(self) -> None:
        """The ingest never invents a node: both ends of a relation come from this source already."""
        seen: set[str] = set()
        for item in self._items():
            if isinstance(item, SourceRecord):
                seen.update(e.id for e in item.entities)
                for rel in item.relations:
                    assert rel.source_id in seen and rel.target_id in seen, rel

    def test_reading_twice_gives_the_same_items(self) -> None:
        assert self._items() == self._items()

    def test_rejects_say_where_and_why(self) -> None:
        rejects = [i for i in self._items() if isinstance(i, Reject)]
        if self.has_rejects:
            assert rejects
        for r in rejects:
            assert r.source == self.dataset and r.file and r.record and r.reason
