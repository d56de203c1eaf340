"""A tiny CSV drug-table reader, written the way a new dataset is added: this one file plus one
registration line (`register_source("csvdrugs", ...)` in the test; `SOURCES` in kg/sources/__init__.py
for a built-in one). Columns: 药品, 适应症 (、-separated), 用法用量."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from kg.schema import Entity, NodeType, Relation, RelType, entity_id
from kg.sources.base import EntityCache, KnownNames, Reject, Source, SourceRecord, usable_name


class CsvDrugSource(Source):
    name = "csvdrugs"

    def __init__(self, paths: Sequence[str | Path], dataset: str = "csvdrugs") -> None:
        self.paths = [Path(p) for p in paths]
        self.name = dataset

    def total(self) -> int | None:
        return None

    def read(self, known: KnownNames | None = None) -> Iterator[SourceRecord | Reject]:
        for path in self.paths:
            cache = EntityCache(self.name)
            with path.open(encoding="utf-8", newline="") as fh:
                for line, row in enumerate(csv.DictReader(fh), start=2):
                    name = usable_name(row.get("药品"))
                    if name is None:
                        yield Reject.of(self.name, path, line, "no drug name", row)
                        continue
                    did = entity_id(name)
                    props = {"用法用量": row["用法用量"]} if row.get("用法用量") else {}
                    out = [Entity(id=did, type=NodeType.DRUG, name=name, properties=props, sources=[self.name],
                                  described=True)]
                    rels = []
                    for target in filter(None, (t.strip() for t in (row.get("适应症") or "").split("、"))):
                        tid = cache.weak(target, NodeType.DISEASE, out)
                        rels.append(Relation(did, RelType.INDICATED_FOR, tid, self.name, "适应症"))
                    yield SourceRecord(entities=out, relations=rels)
