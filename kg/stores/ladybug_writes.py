"""The write half of the embedded store (kg/stores/ladybug.py): upserts, cleaning flags, bulk loads, clear.

Split from the store along its one seam: everything here writes into a read-write store's working
copy inside one transaction and moves the snapshot hash chain with it; the store's connection,
caches and reads stay in `LadybugStore`, which mixes this class in. All Cypher is in
kg/stores/ladybug_queries.py. Why COPY and not MERGE, and why bulk() stages: see ladybug.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from kg.errors import InvalidInput
from kg.schema import Entity, Relation, RelType
from kg.stores import ladybug_queries as Q
from kg.stores.ladybug_rows import _canonical, _chain, _chain_files, _row, _row_text, _TempParquet

_KEY_COLS = ("from", "to", "dataset")  # a relationship's identity within its type table


class LadybugWrites:
    """Writes of `LadybugStore`; reads the store's lock, connection and caches."""

    _lock: threading.RLock
    _staging: _TempParquet | None
    _staged: set[RelType]
    _dirty: bool
    _rel_keys: dict[RelType, Any]
    _names: dict[str, list[tuple[int, str]]] | None

    if TYPE_CHECKING:  # provided by LadybugStore
        def _writable(self) -> Any: ...
        def _connection(self) -> Any: ...
        def _ids(self) -> dict[str, int]: ...
        def _state(self) -> str: ...
        def _meta_values(self) -> dict[str, str]: ...
        def _reset_caches(self) -> None: ...
        @staticmethod
        def _create_schema(conn: Any) -> None: ...
        def get_entities(self, ids: Sequence[str]) -> list[Entity]: ...

    def _transaction(self, steps: list[tuple[str, dict[str, Any] | None]]) -> None:
        """Run the statements atomically; on failure roll back and drop the caches."""
        conn = self._writable()
        self._dirty = True
        conn.execute(Q.BEGIN)
        try:
            for query, params in steps:
                conn.execute(query, params or {})
            conn.execute(Q.COMMIT)
        except BaseException:
            try:
                conn.execute(Q.ROLLBACK)
            except RuntimeError:
                pass  # already rolled back by the failed statement
            self._reset_caches()
            raise

    # -- writes ----------------------------------------------------------------------------
    def upsert_entities(self, entities: Sequence[Entity]) -> int:
        if not entities:
            return 0
        folded: dict[str, Entity] = {}
        for e in entities:
            prev = folded.get(e.id)
            folded[e.id] = prev.merge(e) if prev is not None else _canonical(e)
        with self._lock:
            self._writable()
            known = self._ids()
            new_rows = [_row(e) for i, e in folded.items() if i not in known]
            stored = {e.id: e for e in self.get_entities([i for i in folded if i in known])}
            changed_rows = []
            for ident, old in stored.items():
                merged = old.merge(folded[ident])
                if merged != old:
                    changed_rows.append(_row(merged))
            if not new_rows and not changed_rows:
                return 0
            state = _chain(self._state(), "entities", map(_row_text, new_rows + changed_rows))
            with _TempParquet() as tmp:
                steps: list[tuple[str, dict[str, Any] | None]] = []
                if new_rows:
                    steps.append((Q.COPY_ENTITIES.format(path=tmp.entities(new_rows, "new")), None))
                if changed_rows:
                    steps.append((Q.UPDATE_ENTITIES_FROM.format(path=tmp.entities(changed_rows, "upd")), None))
                steps.append((Q.MERGE_META, {"key": "snapshot", "value": state}))
                self._transaction(steps)
            self._meta_values()["snapshot"] = state
            for row in new_rows:
                known[row[0]] = len(known)
            self._names = None
            return len(new_rows) + len(changed_rows)

    def upsert_relations(self, relations: Sequence[Relation]) -> int:
        """Vectorized with pyarrow: endpoint check, in-batch dedupe and the anti-join against
        stored keys never build per-relationship Python objects."""
        if not relations:
            return 0
        import pyarrow as pa
        import pyarrow.compute as pc

        batch = pa.table({
            "from": pa.array([r.source_id for r in relations], pa.string()),
            "to": pa.array([r.target_id for r in relations], pa.string()),
            "dataset": pa.array([r.dataset for r in relations], pa.string()),
            "predicate": pa.array([r.predicate for r in relations], pa.string()),
            "flag": pa.array([r.flag for r in relations], pa.string()),
            "type": pa.array([str(r.type) for r in relations], pa.string()),
        })
        types = [RelType(t) for t in sorted(pc.unique(batch["type"]).to_pylist())]
        with self._lock:
            self._writable()
            ends = pa.chunked_array(batch["from"].chunks + batch["to"].chunks)
            absent = pc.invert(pc.is_in(ends, value_set=pa.array(list(self._ids()), pa.string())))
            if pc.any(absent).as_py():
                missing = sorted(set(pc.filter(ends, absent).to_pylist()))
                raise InvalidInput(f"{len(missing)} relationship endpoint id(s) are not in the graph "
                                 f"(upsert their entities first): {', '.join(missing[:10])}")
            fresh: dict[RelType, pa.Table] = {}
            for t in types:
                sub = batch.filter(pc.equal(batch["type"], t.value))
                agg = sub.group_by(list(_KEY_COLS), use_threads=False).aggregate(
                    [("predicate", "first"), ("flag", "first")])
                sub = pa.table({"from": agg["from"], "to": agg["to"], "dataset": agg["dataset"],
                                "predicate": agg["predicate_first"], "flag": agg["flag_first"]})
                sub = sub.join(self._stored_keys(t), keys=list(_KEY_COLS), join_type="left anti")
                if sub.num_rows:
                    order = [(c, "ascending") for c in _KEY_COLS]
                    fresh[t] = sub.select(list(Q.REL_COLUMNS)).sort_by(order)
            if not fresh:
                return 0
            if self._staging is not None:  # inside bulk(): COPY once per type at exit
                for t, table in fresh.items():
                    self._staging.relations(table, f"{t.value}-{self._staging.count}")
                    self._staging.count += 1
                    self._staged.add(t)
                    self._rel_keys[t] = pa.concat_tables([self._rel_keys[t], table.select(list(_KEY_COLS))])
                return sum(table.num_rows for table in fresh.values())
            with _TempParquet() as tmp:
                files = {t: tmp.relations(table, t.value) for t, table in fresh.items()}
                state = _chain_files(self._state(), "relations", list(files.values()))
                steps: list[tuple[str, dict[str, Any] | None]] = [
                    (Q.COPY_RELS[t].format(path=f), None) for t, f in files.items()]
                steps.append((Q.MERGE_META, {"key": "snapshot", "value": state}))
                try:
                    self._transaction(steps)
                except RuntimeError as e:
                    if "primary key" in str(e):
                        raise InvalidInput(f"relationship endpoint missing: {e}") from e
                    raise
            self._meta_values()["snapshot"] = state
            for t, table in fresh.items():
                self._rel_keys[t] = pa.concat_tables([self._rel_keys[t], table.select(list(_KEY_COLS))])
            return sum(table.num_rows for table in fresh.values())

    def set_flags(self, relations: Sequence[Relation]) -> int:
        """Store each relation's `flag` on the stored edge with the same key, in one transaction
        (the snapshot moves with it); keys not in the graph are ignored."""
        if not relations:
            return 0
        import pyarrow as pa

        by_type: dict[RelType, list[Relation]] = {}
        for r in relations:
            by_type.setdefault(RelType(r.type), []).append(r)
        with self._lock:
            self._writable()
            rows = sorted((r.type.value, r.source_id, r.target_id, r.dataset, r.flag) for r in relations)
            state = _chain(self._state(), "flags", ("\x1f".join(row) for row in rows))
            with _TempParquet() as tmp:
                steps: list[tuple[str, dict[str, Any] | None]] = []
                for t, rels in sorted(by_type.items()):
                    table = pa.table({c: pa.array(v, pa.string()) for c, v in zip(
                        Q.FLAG_COLUMNS, zip(*[(r.source_id, r.target_id, r.dataset, r.flag) for r in rels],
                                            strict=True), strict=True)})
                    steps.append((Q.SET_FLAGS_FROM[t].format(path=tmp.relations(table, f"flags-{t.value}")), None))
                steps.append((Q.MERGE_META, {"key": "snapshot", "value": state}))
                self._transaction(steps)
            self._meta_values()["snapshot"] = state
        return len(relations)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Stage relationship upserts and COPY them once per type, in one transaction, at exit.

        COPY into a non-empty relationship table costs more the bigger the table (measured: 6
        batches of 150k take ~2.5x one COPY of 900k), so a bulk ingest wraps its batches in this.
        Entities are still written at once; staged relationships are invisible to reads until
        the block ends; an exception (or a kill) inside the block writes none of them.
        """
        with self._lock:
            if self._staging is not None:
                raise RuntimeError("bulk() blocks do not nest")
            self._writable()
            self._staging, self._staged = _TempParquet().__enter__(), set()
            try:
                yield
                if self._staged:
                    files = sorted(self._staging.dir.glob("rel-*.parquet"))
                    state = _chain_files(self._state(), "relations", [str(f) for f in files])
                    steps: list[tuple[str, dict[str, Any] | None]] = [
                        (Q.COPY_RELS[t].format(path=str(self._staging.dir / f"rel-{t.value}-*.parquet")), None)
                        for t in sorted(self._staged)]
                    steps.append((Q.MERGE_META, {"key": "snapshot", "value": state}))
                    self._transaction(steps)
                    self._meta_values()["snapshot"] = state
            except BaseException:
                self._reset_caches()
                raise
            finally:
                self._staging.__exit__()
                self._staging = None

    def _stored_keys(self, t: RelType) -> Any:
        """Stored (from, to, dataset) of one relationship type as an Arrow table, cached."""
        keys = self._rel_keys.get(t)
        if keys is None:
            import pyarrow as pa

            arrow = self._connection().execute(Q.REL_KEYS[t]).get_as_arrow()
            keys = pa.table({c: arrow.column(i).cast(pa.string()) for i, c in enumerate(_KEY_COLS)})
            self._rel_keys[t] = keys
        return keys

    def clear(self) -> None:
        with self._lock:
            conn = self._writable()
            self._dirty = True
            for ddl in Q.DROP_REL_TABLE.values():
                conn.execute(ddl)
            conn.execute(Q.DROP_ENTITY_TABLE)
            conn.execute(Q.DROP_META_TABLE)
            self._create_schema(conn)
            self._reset_caches()
