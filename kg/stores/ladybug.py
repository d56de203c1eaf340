"""The embedded default GraphStore on LadybugDB (a Kuzu fork, `ladybug==0.22.0`).

Layout: one node table `Entity` (long texts in one JSON column `props`, normalized lookup keys in
`keys`), one REL table per RelType carrying `dataset` and `predicate`, and a `Meta` table holding
the snapshot checksums. `path` is the database *file* (its parent is created); an existing
directory is taken to mean `<dir>/graph.lbug`.

Writes (kg/stores/ladybug_writes.py, mixed in) never use MERGE for bulk (measured: minutes for relationships). Each upsert call is one
transaction: new rows are COPYed from a parquet file the store writes, changed entities are
updated with `LOAD FROM <parquet> MATCH … SET`, unchanged ones are skipped, and the snapshot
checksums are updated in the same transaction.

Crash safety (kg/stores/ladybug_files.py): a read-write store writes a private copy of the file
and publishes it with an atomic rename when it is closed without an exception; an exception
leaving the `with` block, or a SIGKILL at any point (during a COPY, during the checkpoint of the
close), leaves the previous graph as it was: readers see the previous snapshot or the new one,
never a mix, and never a file that needs recovery.

Snapshot: a hash chain kept in `Meta`: every upsert that writes something sets
`state = blake2b(state + digest of the rows it wrote)` in the same transaction; a no-op
re-upsert writes nothing, so the snapshot stays; `clear()` resets it to the empty state, so the
same deterministic ingest after a reset gives the same snapshot again. (Per-row, order-independent
checksums were measured at ~3 s per 900k relationships on this machine: too slow for the budget.)

Concurrency: one process may open the graph read-write (an exclusive `flock` on `<file>.lock`);
a second read-write open fails at once (StoreUnavailable, never a hang). `read_only=True` opens
take no lock: several processes (e.g. uvicorn workers) can read the same file concurrently, even
while a writer works on its copy — a reader sees the graph as of its open, so reopen after an
ingest. Within a process one connection is shared
behind a lock, so the store is thread-safe.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kg.normalize import normalize_name
from kg.schema import Direction, Entity, Fact, GraphStats, NameEntry, NodeType, RelType
from kg.stores import ladybug_queries as Q
from kg.stores.base import EdgeRow, GraphStore, StoreUnavailable
from kg.stores.ladybug_files import WorkingCopy, open_read_only
from kg.stores.ladybug_rows import (
    _columns_of,
    _entity,
    _fact_order,
    _TempParquet,
)
from kg.stores.ladybug_writes import LadybugWrites

_FETCH_CHUNK = 50_000
_ARROW_MIN = 2_000  # get_as_arrow has ~30 ms fixed cost; below this many rows get_all is faster
_EMPTY_STATE = "0" * 32


#: stores with an open database, closed at interpreter exit (connection before database): native
#: objects left to the garbage collector at shutdown are freed in no particular order
_OPEN: weakref.WeakSet[LadybugStore] = weakref.WeakSet()


@atexit.register
def _close_open_stores() -> None:
    for store in list(_OPEN):
        try:
            store.close()
        except Exception:  # noqa: BLE001 - best effort at exit; the previous graph stays published
            pass


class LadybugStore(LadybugWrites, GraphStore):
    kind = "embedded"

    def __init__(self, path: Path, read_only: bool = False) -> None:
        path = Path(path)
        self.path = path / "graph.lbug" if path.is_dir() else path
        self.read_only = read_only
        self._lock = threading.RLock()
        self._staging: _TempParquet | None = None  # set inside bulk()
        self._staged: set[RelType] = set()
        self._db: Any = None
        self._conn: Any = None
        self._copy: WorkingCopy | None = None  # a writer's private file, published on close()
        self._dirty = False  # something was written to the working copy
        self._legacy = False  # a read-only graph built before `prov` / `flag` existed
        self._absent: set[RelType] = set()  # relationship tables a read-only graph predates
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._idx: dict[str, int] | None = None  # stored entity ids
        self._rel_keys: dict[RelType, Any] = {}  # pyarrow Tables of stored keys
        self._names: dict[str, list[tuple[int, str]]] | None = None
        self._meta: dict[str, str] | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            self._connection()

    def close(self) -> None:
        """Close; a writer publishes what it wrote (atomically: see kg/stores/ladybug_files.py)."""
        self._finish(publish=True)

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # an exception leaving the block drops everything written since open: the previous graph stays
        self._finish(publish=exc_type is None)

    def _finish(self, publish: bool) -> None:
        with self._lock:
            try:
                for obj in (self._conn, self._db):
                    if obj is not None:
                        obj.close()
            finally:
                self._conn = self._db = None
                _OPEN.discard(self)
                self._reset_caches()
                copy, self._copy = self._copy, None
                if copy is not None:
                    if publish and (self._dirty or not self.path.exists()):
                        copy.commit()
                    else:
                        copy.abandon()
                self._dirty = False

    def _connection(self) -> Any:
        if self._conn is not None:
            return self._conn
        try:
            import ladybug
        except ImportError as e:  # pragma: no cover - it is a core dependency
            raise ImportError("the embedded graph needs ladybug: pip install 'ladybug==0.22.0'") from e
        if self.read_only:
            if not self.path.exists():
                raise StoreUnavailable(f"no graph at {self.path}; run `qizhen kg ingest` first")
            db, conn = open_read_only(ladybug, self.path)
            columns = _columns_of(conn, "Entity")
            self._legacy = bool(columns) and "prov" not in columns
            # relationship types added after the graph was built (IN_CLASS): read as empty
            self._absent = {t for t in RelType if not _columns_of(conn, t.value)}
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            copy = WorkingCopy(self.path)
            existed = self.path.exists()
            work = copy.begin()
            try:
                db = ladybug.Database(str(work))
                conn = ladybug.Connection(db)
                self._create_schema(conn)
            except BaseException as e:
                copy.abandon()
                if isinstance(e, RuntimeError):
                    raise StoreUnavailable(f"cannot open graph at {self.path}: {e}") from e
                raise
            self._copy, self._dirty = copy, not existed
        self._db, self._conn = db, conn
        _OPEN.add(self)
        return conn

    @staticmethod
    def _create_schema(conn: Any) -> None:
        conn.execute(Q.CREATE_ENTITY_TABLE)
        conn.execute(Q.CREATE_META_TABLE)
        for ddl in Q.CREATE_REL_TABLE.values():
            conn.execute(ddl)
        # graphs built before provenance and cleaning flags: add the columns (empty values)
        if "prov" not in _columns_of(conn, "Entity"):
            conn.execute(Q.ADD_ENTITY_PROV)
        for t, ddl in Q.ADD_REL_FLAG.items():
            if "flag" not in _columns_of(conn, t.value):
                conn.execute(ddl)

    def _q(self, query: str) -> str:
        return Q.legacy(query) if self._legacy else query

    def ping(self, timeout_s: float = 2.0) -> None:
        errors: list[BaseException] = []

        def probe() -> None:
            if not self._lock.acquire(timeout=timeout_s):
                errors.append(StoreUnavailable(f"graph at {self.path} is busy"))
                return
            try:
                self._connection().execute(Q.PING).get_all()
            except BaseException as e:  # noqa: BLE001 - reported to the caller below
                errors.append(e)
            finally:
                self._lock.release()

        worker = threading.Thread(target=probe, daemon=True, name="ladybug-ping")
        worker.start()
        worker.join(timeout_s)
        if worker.is_alive():
            raise StoreUnavailable(f"graph at {self.path} did not answer within {timeout_s}s")
        if errors:
            err = errors[0]
            if isinstance(err, StoreUnavailable):
                raise err
            raise StoreUnavailable(f"graph at {self.path} unavailable: {err}") from err

    # -- low level -------------------------------------------------------------------------
    def _rows(self, query: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        conn = self._connection()
        return conn.execute(self._q(query), params or {}).get_all()

    def _columns(self, query: str, params: dict[str, Any] | None = None, *, big: bool = True) -> list[list[Any]]:
        """Result columns; `big=False` for results expected small (arrow has a fixed ~30 ms cost)."""
        conn = self._connection()
        result = conn.execute(self._q(query), params or {})
        if not big:
            rows = result.get_all()
            return [list(c) for c in zip(*rows, strict=True)] or [[] for _ in result.get_column_names()]
        return [col.to_pylist() for col in result.get_as_arrow().columns]

    def _writable(self) -> Any:
        if self.read_only:
            raise PermissionError(f"graph at {self.path} was opened read-only")
        return self._connection()

    def _ids(self) -> dict[str, int]:
        if self._idx is None:
            [ids] = self._columns(Q.ALL_IDS)
            self._idx = {i: n for n, i in enumerate(ids)}
        return self._idx

    def _meta_values(self) -> dict[str, str]:
        if self._meta is None:
            self._meta = {k: v for k, v in self._rows(Q.GET_META)}
        return self._meta

    def _state(self) -> str:
        return self._meta_values().get("snapshot", _EMPTY_STATE)

    # -- reads -----------------------------------------------------------------------------
    def get_entities(self, ids: Sequence[str]) -> list[Entity]:
        out: list[Entity] = []
        unique = list(dict.fromkeys(ids))
        with self._lock:
            for start in range(0, len(unique), _FETCH_CHUNK):
                chunk = unique[start:start + _FETCH_CHUNK]
                cols = self._columns(Q.GET_ENTITIES, {"ids": chunk}, big=len(chunk) >= _ARROW_MIN)
                out.extend(_entity(*row) for row in zip(*cols, strict=True))
        return out

    def _name_keys(self) -> dict[str, list[tuple[int, str]]]:
        if self._names is None:
            names: dict[str, list[tuple[int, str]]] = {}
            ids, own, keys = self._columns(Q.NAME_KEYS)
            for ident, name, ks in zip(ids, own, keys, strict=True):
                main = normalize_name(name)
                for k in ks or []:
                    names.setdefault(k, []).append((0 if k == main else 1, ident))
            self._names = names
        return self._names

    def find_by_name(self, name: str, types: Sequence[NodeType] | None = None) -> list[Entity]:
        key = normalize_name(name)
        if not key:
            return []
        with self._lock:
            hits = sorted(self._name_keys().get(key, []))
            if not hits:
                return []
            found = {e.id: e for e in self.get_entities([i for _, i in hits])}
        wanted = {NodeType(t) for t in types} if types else None
        return [found[i] for _, i in hits if i in found and (wanted is None or found[i].type in wanted)]

    def facts(
        self,
        entity_id: str,
        rel_types: Sequence[RelType] | None = None,
        direction: Direction = Direction.OUT,
        limit: int | None = None,
    ) -> list[Fact]:
        direction = Direction(direction)
        params: dict[str, Any] = {"id": entity_id}
        if rel_types:
            params["types"] = [RelType(t).value for t in rel_types]
        plans: list[tuple[Direction, str]] = []
        if direction in (Direction.OUT, Direction.BOTH):
            plans.append((Direction.OUT, Q.FACTS_OUT_TYPED if rel_types else Q.FACTS_OUT))
        if direction in (Direction.IN, Direction.BOTH):
            plans.append((Direction.IN, Q.FACTS_IN_TYPED if rel_types else Q.FACTS_IN))
        facts: list[Fact] = []
        with self._lock:
            for d, query in plans:
                for name, rel, tid, tname, ttype, ds, pred, flag in self._rows(query, params):
                    facts.append(Fact(entity_id, name, RelType(rel), tid, tname, NodeType(ttype),
                                      ds or "", pred or "", d, flag or ""))
        facts.sort(key=_fact_order)
        return facts if limit is None else facts[:limit]

    def all_facts(self, rel_types: Sequence[RelType] | None = None,
                  batch_size: int = 50_000) -> Iterator[list[Fact]]:
        """Every OUT fact of the given types (all types when None), in batches; unordered.

        One table scan per type: the fast path for bulk consumers (fine-tuning data, exports).
        """
        for t in [RelType(x) for x in rel_types] if rel_types else list(RelType):
            if t in self._absent:
                continue
            with self._lock:
                cols = self._columns(Q.ALL_FACTS[t])
            rows = list(zip(*cols, strict=True))
            kinds = {k.value: k for k in NodeType}  # a dict lookup is ~10x cheaper than NodeType(...)
            for start in range(0, len(rows), batch_size):
                yield [Fact(a, an, t, b, bn, kinds[bt], ds or "", pred or "", Direction.OUT, flag or "")
                       for a, an, b, bn, bt, ds, pred, flag in rows[start:start + batch_size]]

    def edge_rows(self, rel_type: RelType) -> list[EdgeRow]:
        if RelType(rel_type) in self._absent:
            return []
        with self._lock:
            cols = self._columns(Q.ALL_EDGES[RelType(rel_type)])
        cols[2:] = [[v or "" for v in c] for c in cols[2:]]  # dataset, flag never None
        return list(map(EdgeRow._make, zip(*cols, strict=True)))

    def iter_entities(self, batch_size: int = 10_000) -> Iterator[list[Entity]]:
        after = ""
        while True:
            with self._lock:
                cols = self._columns(Q.ENTITY_PAGE, {"after": after, "n": batch_size},
                                     big=batch_size >= _ARROW_MIN)
            batch = [_entity(*row) for row in zip(*cols, strict=True)]
            if not batch:
                return
            yield batch
            after = batch[-1].id

    def name_index(self) -> list[NameEntry]:
        with self._lock:
            cols = self._columns(Q.NAME_INDEX)
        return [NameEntry.of(i, t, n, a) for i, t, n, a in zip(*cols, strict=True)]

    def described_ids(self) -> set[str]:
        with self._lock:
            cols = self._columns(Q.DESCRIBED_IDS)
        return set(cols[0]) if cols else set()

    def stats(self) -> GraphStats:
        with self._lock:
            nodes = {t: int(n) for t, n in self._rows(Q.COUNT_BY_TYPE)}
            rels = {t.value: int(self._rows(Q.COUNT_RELS[t])[0][0]) for t in RelType if t not in self._absent}
            snap = self.snapshot()
        return GraphStats(nodes=nodes, relationships={k: v for k, v in rels.items() if v}, snapshot=snap)

    def snapshot(self) -> str:
        with self._lock:
            return self._state()[:16]
