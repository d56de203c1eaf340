"""Row codec and COPY staging for the embedded store (kg/stores/ladybug.py): entities to and from
table rows, the snapshot hash chain, and the parquet files a COPY / LOAD FROM reads."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

from kg.normalize import normalize_name
from kg.schema import Direction, Entity, Fact, NodeType, PropSource
from kg.stores import ladybug_queries as Q


def _keys(e: Entity) -> list[str]:
    out: list[str] = []
    for n in [e.name, *e.aliases]:
        k = normalize_name(n)
        if k and k not in out:
            out.append(k)
    return out


def _canonical(e: Entity) -> Entity:
    """`e.merge(e)` (sorted, unique aliases without the name; sorted sources), skipped when already so."""
    aliases, sources = e.aliases, e.sources
    if (all(a < b for a, b in pairwise(aliases)) and e.name not in aliases
            and all(a < b for a, b in pairwise(sources))
            and all(all(a < b for a, b in pairwise(v)) for v in e.property_sources.values())):
        return e
    return e.merge(e)


def _prov_json(e: Entity) -> str:
    """Provenance as JSON {key: [[dataset, field, value], …]}; "" when none was recorded."""
    if not e.property_sources:
        return ""
    return json.dumps({k: [[s.dataset, s.field, s.value] for s in v] for k, v in e.property_sources.items()},
                      ensure_ascii=False, sort_keys=True)


def _prov_from(text: str | None) -> dict[str, list[PropSource]]:
    if not text:
        return {}
    return {k: [PropSource(*row) for row in v] for k, v in json.loads(text).items()}


def _row(e: Entity) -> tuple[str, str, str, list[str], list[str], list[str], bool, str, str]:
    props = json.dumps(e.properties, ensure_ascii=False, sort_keys=True) if e.properties else "{}"
    return (e.id, NodeType(e.type).value, e.name, _keys(e), list(e.aliases), list(e.sources),
            bool(e.described), props, _prov_json(e))


def _row_text(row: tuple[Any, ...]) -> str:
    ident, typ, name, _keys_, aliases, sources, described, props, prov = row
    return "\x1f".join((ident, typ, name, "\x1e".join(aliases), "\x1e".join(sources), "1" if described else "0",
                        props, prov))


def _chain_files(state: str, kind: str, files: list[str]) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{state}|{kind}|".encode())
    for f in files:
        h.update(Path(f).read_bytes())
    return h.hexdigest()


def _chain(state: str, kind: str, parts: Iterator[str] | list[str]) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{state}|{kind}|".encode())
    h.update("\x1d".join(parts).encode("utf-8"))
    return h.hexdigest()


def _entity(ident: str, typ: str, name: str, aliases: list[str], sources: list[str],
            described: bool, props: str, prov: str | None = "") -> Entity:
    return Entity(id=ident, type=NodeType(typ), name=name, aliases=list(aliases or []),
                  properties=json.loads(props) if props else {}, sources=list(sources or []),
                  described=bool(described), property_sources=_prov_from(prov))


def _fact_order(f: Fact) -> tuple[str, int, str, str, str]:
    return (f.relation.value, 0 if f.direction == Direction.OUT else 1, f.target_name, f.target_id, f.dataset)


def _columns_of(conn: Any, table: str) -> set[str]:
    """The table's column names; empty when the table does not exist (a graph with no schema yet)."""
    try:
        return {row[0] for row in conn.execute(Q.TABLE_COLUMNS.format(table=table)).get_all()}
    except RuntimeError:
        return set()


class _TempParquet:
    """Parquet files for one COPY / LOAD FROM, in a private temp dir removed afterwards."""

    def __enter__(self) -> _TempParquet:
        self.dir = Path(tempfile.mkdtemp(prefix="qizhen-ladybug-"))
        self.count = 0
        if "'" in str(self.dir):
            raise RuntimeError(f"temp dir {self.dir} contains a quote; set TMPDIR elsewhere")
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def entities(self, rows: list[tuple[Any, ...]], tag: str) -> str:
        import pyarrow as pa
        import pyarrow.parquet as pq

        strs, lists = pa.string(), pa.list_(pa.string())
        schema = pa.schema([("id", strs), ("type", strs), ("name", strs), ("keys", lists),
                            ("aliases", lists), ("sources", lists), ("described", pa.bool_()),
                            ("props", strs), ("prov", strs)])
        assert tuple(schema.names) == Q.ENTITY_COLUMNS
        cols = list(zip(*rows, strict=True))
        table = pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(cols, schema, strict=True)],
                                     schema=schema)
        path = self.dir / f"entities-{tag}.parquet"
        pq.write_table(table, path)
        return str(path)

    def relations(self, table: Any, tag: str) -> str:
        import pyarrow.parquet as pq

        path = self.dir / f"rel-{tag}.parquet"
        pq.write_table(table, path)
        return str(path)
