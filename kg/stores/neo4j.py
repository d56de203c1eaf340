"""GraphStore on Neo4j (or any Neo4j-5 compatible Bolt server, e.g. ArcadeDB) via the official driver.

Layout: every node is `(:Entity {id, type, name, keys, aliases, sources, described, props})` where
`keys` holds the normalized name and aliases (for lookup) and `props` is the JSON text of the
entity's properties (as in the embedded store, so both backends round-trip identically). Each
`RelType` is its own relationship type carrying `dataset` and `predicate`; identity is
(source, type, target, dataset).

Snapshot: a `(:QizhenMeta {key, epoch, version})` node. Every write that changes content bumps
`version` in the same transaction; `clear()` draws a new `epoch`. So a no-op re-upsert leaves the
snapshot alone and any content change (or a clear) moves it.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from kg.errors import InvalidInput
from kg.normalize import normalize_name
from kg.schema import Direction, Entity, Fact, GraphStats, NameEntry, NodeType, PropSource, Relation, RelType
from kg.stores import neo4j_queries as q
from kg.stores.base import GraphStore, StoreUnavailable

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction

T = TypeVar("T")

ENTITY_BATCH = 2_000
RELATION_BATCH = 5_000
READ_BATCH = 5_000


def _import_neo4j() -> Any:
    try:
        import neo4j
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the Neo4j graph backend needs the neo4j driver: pip install 'qizhen[neo4j]'") from exc
    return neo4j


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _entity_row(e: Entity) -> dict[str, Any]:
    keys = {normalize_name(e.name)} | {normalize_name(a) for a in e.aliases}
    keys.discard("")
    return {
        "id": e.id,
        "type": e.type.value,
        "name": e.name,
        "keys": sorted(keys),
        "aliases": list(e.aliases),
        "sources": list(e.sources),
        "described": bool(e.described),
        "props": json.dumps(e.properties, ensure_ascii=False, sort_keys=True),
        "prov": json.dumps({k: [[s.dataset, s.field, s.value] for s in v] for k, v in e.property_sources.items()},
                           ensure_ascii=False, sort_keys=True) if e.property_sources else "",
    }


def _entity_from(row: dict[str, Any]) -> Entity:
    props = json.loads(row.get("props") or "{}")
    prov = json.loads(row.get("prov") or "{}")  # absent on graphs built before provenance
    return Entity(
        id=row["id"],
        type=NodeType(row["type"]),
        name=row["name"],
        aliases=list(row.get("aliases") or []),
        properties=props,
        sources=list(row.get("sources") or []),
        described=bool(row.get("described")),
        property_sources={k: [PropSource(*x) for x in v] for k, v in prov.items()},
    )


def _fact_sort_key(f: Fact) -> tuple[str, int, str, str, str]:
    return (f.relation.value, 0 if f.direction == Direction.OUT else 1, f.target_name, f.target_id, f.dataset)


class Neo4jStore(GraphStore):
    """The production graph backend; tests run it against ArcadeDB's Bolt server."""

    kind = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str | None = None,
        timeout_s: float = 2.0,
        retry_s: float = 10.0,
        entity_batch: int = ENTITY_BATCH,
        relation_batch: int = RELATION_BATCH,
    ) -> None:
        self.uri = uri
        self.user = user
        self._password = password
        self.database = database or None
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.entity_batch = max(1, entity_batch)
        self.relation_batch = max(1, relation_batch)
        self._driver: Driver | None = None
        self._schema_ready = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Neo4jStore({self.uri!r}, database={self.database!r})"

    # -- lifecycle -------------------------------------------------------------------------
    def _get_driver(self) -> Driver:
        with self._lock:
            if self._driver is None:
                neo4j = _import_neo4j()
                self._driver = neo4j.GraphDatabase.driver(
                    self.uri,
                    auth=(self.user, self._password),
                    connection_timeout=self.timeout_s,
                    connection_acquisition_timeout=max(self.timeout_s, 1.0) * 2,
                    max_transaction_retry_time=self.retry_s,
                    keep_alive=True,
                )
            return self._driver

    def open(self) -> None:
        self._ready()

    def close(self) -> None:
        with self._lock:
            driver, self._driver = self._driver, None
            self._schema_ready = False
        if driver is not None:
            driver.close()

    def _ready(self) -> Driver:
        driver = self._get_driver()
        if not self._schema_ready:
            self._guard(lambda: self._create_schema(driver))
            self._schema_ready = True
        return driver

    def _create_schema(self, driver: Driver) -> None:
        with driver.session(database=self.database) as session:
            session.run(q.CREATE_ENTITY_ID_CONSTRAINT).consume()
            session.run(q.CREATE_META_KEY_CONSTRAINT).consume()
            session.execute_write(lambda tx: tx.run(q.ENSURE_META, key=q.META_KEY,
                                                    epoch=uuid.uuid4().hex).consume())

    def _unavailable_errors(self) -> tuple[type[BaseException], ...]:
        exc = _import_neo4j().exceptions
        return (exc.ServiceUnavailable, exc.SessionExpired, exc.AuthError, exc.DatabaseUnavailable,
                exc.ConnectionAcquisitionTimeoutError, OSError)

    def _guard(self, fn: Callable[[], T]) -> T:
        """Run `fn`, turning 'server unreachable' failures (and a transaction the server ended at
        its timeout) into StoreUnavailable."""
        try:
            return fn()
        except self._unavailable_errors() as exc:
            raise StoreUnavailable(f"graph server at {self.uri} unavailable: {exc}") from exc
        except _import_neo4j().exceptions.ClientError as exc:
            if "TransactionTimedOut" not in (exc.code or ""):
                raise
            raise StoreUnavailable(f"graph server at {self.uri} did not answer within {self.timeout_s:g} s") from exc

    def _write(self, work: Callable[[ManagedTransaction], T]) -> T:
        """One write transaction; the driver retries transient errors (deadlocks, leader
        switches, dropped connections) for up to `retry_s` seconds."""
        driver = self._ready()

        def run() -> T:
            with driver.session(database=self.database) as session:
                return session.execute_write(work)

        return self._guard(run)

    def _read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """A read of the whole graph (name index, stats: startup and maintenance), no time limit."""
        return self._read_tx(query, params, None)

    def _lookup(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """A read that answers a request (an entity, its facts, the snapshot): one transaction with
        the store budget as its timeout, so the server ends it instead of letting it run on after
        the request has given up (a stopped server is caught by the callers' own wait: the API
        waits on the same budget)."""
        return self._read_tx(query, params, self.timeout_s)

    def _read_tx(self, query: str, params: dict[str, Any], timeout_s: float | None) -> list[dict[str, Any]]:
        driver = self._ready()

        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(query, params)]

        session_kw: dict[str, Any] = {"database": self.database}
        if timeout_s is not None:  # and the driver's retries of transient errors stay within it too
            work = _import_neo4j().unit_of_work(timeout=timeout_s)(work)
            session_kw["max_transaction_retry_time"] = min(self.retry_s, timeout_s)

        def run() -> list[dict[str, Any]]:
            with driver.session(**session_kw) as session:
                return session.execute_read(work)

        return self._guard(run)

    def ping(self, timeout_s: float = 2.0) -> None:
        """Answer within ~timeout_s: a worker thread asks the server and we wait at most that long."""
        outcome: list[BaseException | None] = []

        def probe() -> None:
            try:
                driver = self._get_driver()
                with driver.session(database=self.database) as session:
                    session.run(q.PING).consume()
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - reported to the caller below
                outcome.append(exc)

        worker = threading.Thread(target=probe, name="neo4j-ping", daemon=True)
        worker.start()
        worker.join(timeout_s)
        if not outcome:
            raise StoreUnavailable(f"graph server at {self.uri} did not answer within {timeout_s:.1f}s")
        if outcome[0] is not None:
            raise StoreUnavailable(f"graph server at {self.uri} unavailable: {outcome[0]}") from outcome[0]

    # -- writes ----------------------------------------------------------------------------
    def upsert_entities(self, entities: Sequence[Entity]) -> int:
        folded: dict[str, Entity] = {}
        for e in entities:  # duplicates inside one call fold left, in order
            seen = folded.get(e.id)
            folded[e.id] = e if seen is None else seen.merge(e)
        batch = list(folded.values())
        constraint_error = _import_neo4j().exceptions.ConstraintError
        for chunk in _chunks(batch, self.entity_batch):
            for attempt in range(3):
                try:
                    self._write(lambda tx, chunk=chunk: self._upsert_entity_chunk(tx, chunk))
                    break
                except constraint_error:
                    # another writer created one of these ids between our read and CREATE:
                    # run the chunk again, which now reads and merges it
                    if attempt == 2:
                        raise
        return len(batch)

    def _upsert_entity_chunk(self, tx: ManagedTransaction, chunk: Sequence[Entity]) -> int:
        stored = {row["e"]["id"]: _entity_from(row["e"])
                  for row in tx.run(q.GET_ENTITIES, ids=[e.id for e in chunk])}
        created: list[dict[str, Any]] = []
        updated: list[dict[str, Any]] = []
        for incoming in chunk:
            old = stored.get(incoming.id)
            if old is None:  # canonical form: a new entity is stored as e.merge(e)
                created.append(_entity_row(incoming.merge(incoming)))
            else:
                merged = old.merge(incoming)
                if merged != old:
                    updated.append(_entity_row(merged))
        if created:
            tx.run(q.CREATE_ENTITIES, rows=created).consume()
        if updated:
            tx.run(q.UPDATE_ENTITIES, rows=updated).consume()
        if created or updated:
            self._bump(tx)
        return len(created) + len(updated)

    def upsert_relations(self, relations: Sequence[Relation]) -> int:
        unique: dict[tuple[str, str, str, str], Relation] = {}
        for r in relations:
            unique.setdefault(r.key, r)
        if not unique:
            return 0
        endpoints = sorted({r.source_id for r in unique.values()} | {r.target_id for r in unique.values()})
        existing: set[str] = set()
        for chunk in _chunks(endpoints, READ_BATCH):
            existing.update(row["id"] for row in self._read(q.EXISTING_IDS, ids=list(chunk)))
        missing = [i for i in endpoints if i not in existing]
        if missing:
            shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
            raise InvalidInput(f"{len(missing)} relation endpoint(s) do not exist: {shown}")

        by_type: dict[RelType, list[dict[str, str]]] = {}
        for r in unique.values():
            by_type.setdefault(r.type, []).append(
                {"s": r.source_id, "t": r.target_id, "dataset": r.dataset, "predicate": r.predicate,
                 "flag": r.flag})
        created = 0
        for rel_type in sorted(by_type):
            for chunk in _chunks(by_type[rel_type], self.relation_batch):
                created += self._write(lambda tx, t=rel_type, c=chunk: self._merge_relation_chunk(tx, t, c))
        return created

    def _merge_relation_chunk(self, tx: ManagedTransaction, rel_type: RelType,
                              rows: Sequence[dict[str, str]]) -> int:
        record = tx.run(q.MERGE_RELATIONS[rel_type], rows=list(rows)).single()
        created = int(record["created"] or 0) if record is not None else 0
        if created:
            self._bump(tx)
        return created

    def set_flags(self, relations: Sequence[Relation]) -> int:
        """Store each relation's `flag` on the stored edge with the same key; returns how many
        edges changed (the snapshot moves when any did)."""
        by_type: dict[RelType, list[dict[str, str]]] = {}
        for r in relations:
            by_type.setdefault(RelType(r.type), []).append(
                {"s": r.source_id, "t": r.target_id, "dataset": r.dataset, "flag": r.flag})
        changed = 0
        for rel_type in sorted(by_type):
            for chunk in _chunks(by_type[rel_type], self.relation_batch):
                changed += self._write(lambda tx, t=rel_type, c=chunk: self._set_flag_chunk(tx, t, c))
        return changed

    def _set_flag_chunk(self, tx: ManagedTransaction, rel_type: RelType, rows: Sequence[dict[str, str]]) -> int:
        record = tx.run(q.SET_FLAGS[rel_type], rows=list(rows)).single()
        changed = int(record["changed"] or 0) if record is not None else 0
        if changed:
            self._bump(tx)
        return changed

    def _bump(self, tx: ManagedTransaction) -> None:
        tx.run(q.BUMP_VERSION, key=q.META_KEY, epoch=uuid.uuid4().hex).consume()

    def clear(self) -> None:
        while True:
            deleted = self._write(
                lambda tx: tx.run(q.DELETE_ENTITY_BATCH, limit=self.entity_batch * 5).single())
            if deleted is None or not deleted["n"]:
                break
        self._write(lambda tx: tx.run(q.RESET_META, key=q.META_KEY, epoch=uuid.uuid4().hex).consume())

    # -- reads -----------------------------------------------------------------------------
    def get_entities(self, ids: Sequence[str]) -> list[Entity]:
        wanted = list(dict.fromkeys(ids))
        out: list[Entity] = []
        for chunk in _chunks(wanted, READ_BATCH):
            out.extend(_entity_from(row["e"]) for row in self._lookup(q.GET_ENTITIES, ids=list(chunk)))
        return out

    def find_by_name(self, name: str, types: Sequence[NodeType] | None = None) -> list[Entity]:
        key = normalize_name(name)
        if not key:
            return []
        found = [_entity_from(row["e"]) for row in self._lookup(q.FIND_BY_KEY, key=key)]
        if types is not None:
            allowed = {NodeType(t) for t in types}
            found = [e for e in found if e.type in allowed]
        found.sort(key=lambda e: (normalize_name(e.name) != key, e.id))
        return found

    def facts(
        self,
        entity_id: str,
        rel_types: Sequence[RelType] | None = None,
        direction: Direction = Direction.OUT,
        limit: int | None = None,
    ) -> list[Fact]:
        rows = self._lookup(q.ENTITY_NAME, id=entity_id)
        if not rows:
            return []
        name = rows[0]["name"]
        types = None if rel_types is None else sorted({RelType(t).value for t in rel_types})
        wanted = [Direction.OUT, Direction.IN] if direction == Direction.BOTH else [Direction(direction)]
        out: list[Fact] = []
        for d in wanted:
            query = q.FACTS_OUT if d == Direction.OUT else q.FACTS_IN
            for row in self._lookup(query, id=entity_id, types=types):
                out.append(Fact(
                    entity_id=entity_id, entity_name=name, relation=RelType(row["rel"]),
                    target_id=row["target_id"], target_name=row["target_name"],
                    target_type=NodeType(row["target_type"]), dataset=row["dataset"] or "",
                    predicate=row["predicate"] or "", direction=d, flag=row["flag"] or "",
                ))
        out.sort(key=_fact_sort_key)
        return out if limit is None else out[:max(0, limit)]

    def all_facts(self, rel_types: Sequence[RelType] | None = None,
                  batch_size: int = 50_000) -> Iterator[list[Fact]]:
        """Every OUT fact of the given types (all when None): one streamed scan per type."""
        driver = self._ready()
        for t in [RelType(x) for x in rel_types] if rel_types else list(RelType):
            batch: list[Fact] = []
            try:
                with driver.session(database=self.database, fetch_size=max(1, batch_size)) as session:
                    for row in session.run(q.ALL_FACTS[t]):
                        batch.append(Fact(row["source_id"], row["source_name"], t, row["target_id"],
                                          row["target_name"], NodeType(row["target_type"]), row["dataset"] or "",
                                          row["predicate"] or "", Direction.OUT, row["flag"] or ""))
                        if len(batch) >= batch_size:
                            yield batch
                            batch = []
            except self._unavailable_errors() as exc:
                raise StoreUnavailable(f"graph server at {self.uri} unavailable: {exc}") from exc
            if batch:
                yield batch

    def iter_entities(self, batch_size: int = 10_000) -> Iterator[list[Entity]]:
        """One streamed query (the driver pulls `batch_size` records at a time). Keyset pages
        (`WHERE n.id > $after ORDER BY n.id`) cost a full scan and sort each on ArcadeDB."""
        driver = self._ready()
        size = max(1, batch_size)
        try:
            with driver.session(database=self.database, fetch_size=size) as session:
                batch: list[Entity] = []
                for record in session.run(q.ALL_ENTITIES):
                    batch.append(_entity_from(record["e"]))
                    if len(batch) >= size:
                        yield batch
                        batch = []
                if batch:
                    yield batch
        except self._unavailable_errors() as exc:
            raise StoreUnavailable(f"graph server at {self.uri} unavailable: {exc}") from exc

    def name_index(self) -> list[NameEntry]:
        return [NameEntry.of(row["id"], row["type"], row["name"], row["aliases"]) for row in self._read(q.NAME_INDEX)]

    def described_ids(self) -> set[str]:
        return {row["id"] for row in self._read(q.DESCRIBED_IDS)}

    def stats(self) -> GraphStats:
        nodes = {row["type"]: int(row["n"]) for row in self._read(q.COUNT_NODES_BY_TYPE)}
        rels = {row["type"]: int(row["n"]) for row in self._read(q.COUNT_RELATIONS_BY_TYPE)}
        return GraphStats(nodes=nodes, relationships=rels, snapshot=self.snapshot())

    def snapshot(self) -> str:
        rows = self._lookup(q.READ_META, key=q.META_KEY)
        if not rows:
            return "neo4j-uninitialized"
        return f"neo4j-{rows[0]['epoch']}-{int(rows[0]['version'])}"
