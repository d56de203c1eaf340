"""Load sources into a GraphStore: batching, merging, endpoint checks, rejects, progress, summary.

Each source's records are gathered into batches of about `batch_size` rows (entities +
relations). A batch is written as: entities (records of one id merged with `Entity.merge`
first), then relations (deduplicated by key). Every write is an upsert, so a second run, or a
run after one killed half way, converges on the same graph.

A relation is written only when both ends exist — in the batch, earlier in this run, or in the
store; sources yield weak (`described=False`) entities for the objects they mention, so a
relation to a missing end is a source bug and is rejected rather than dropped silently.

Every record passes `NameScreen` first: a name or alias with a control character (a line break)
or over `kg.normalize.MAX_NAME_LEN` characters is rejected with its file and line/record and
reason, so nothing downstream (jieba's dictionary file, the name automaton) ever sees one.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from pydantic import BaseModel

from kg.schema import Entity, PropSource, Relation, RelType
from kg.sources.base import KnownNames, NameScreen, Reject, Source, SourceRecord
from kg.stores.base import GraphStore

DEFAULT_BATCH_SIZE = 50_000


class SourceSummary(BaseModel):
    source: str
    records: int = 0
    entities: int = 0
    relations: int = 0
    rejected: int = 0
    seconds: float = 0.0


class IngestSummary(BaseModel):
    nodes: int
    relationships: int
    rejected: int
    rejects_path: str | None
    seconds: float
    snapshot: str
    sources: list[SourceSummary]

    def brief(self) -> dict[str, object]:
        """The `--json` object of `qizhen kg ingest`."""
        return {"nodes": self.nodes, "relationships": self.relationships, "rejected": self.rejected,
                "seconds": self.seconds, "snapshot": self.snapshot, "rejects_path": self.rejects_path,
                "sources": [s.model_dump() for s in self.sources]}


@dataclass(frozen=True, slots=True)
class Progress:
    """`event` is "start" (total known or None), "advance" (done = records read so far),
    "batch" (a batch was written) or "end"."""

    source: str
    event: str
    done: int
    total: int | None
    batches: int = 0


ProgressFn = Callable[[Progress], None]


if TYPE_CHECKING:
    from kg.cleaning import CleanSummary
    from kg.drug_classes import ClassSummary


def default_rejects_path(home: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return home / "rejects" / f"{stamp}.jsonl"


class _RejectWriter:
    """Opens the rejects file on the first reject only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.count = 0
        self._fh: IO[str] | None = None
        self._lock = threading.Lock()

    def write(self, r: Reject) -> None:
        with self._lock:  # the reading and the writing thread both report rejects
            self._write(r)

    def _write(self, r: Reject) -> None:
        self.count += 1
        if self.path is None:
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._fh.write(json.dumps({"source": r.source, "file": r.file, "record": r.record, "reason": r.reason,
                                   "raw": r.raw}, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


class _Batcher:
    """Collects records into batches; a single background thread writes them in order, so
    reading/merging the next batch (Python) overlaps with the store's write of the previous."""

    def __init__(self, store: GraphStore, rejects: _RejectWriter, source: str) -> None:
        self.store = store
        self.rejects = rejects
        self.source = source
        self.entities: dict[str, Entity] = {}
        self.relations: dict[tuple[str, RelType, str, str], Relation] = {}
        self.rows = 0
        self.known_ids: set[str] = set()
        self.batches = 0
        self.written_entities = 0
        self.written_relations = 0
        self._queue: queue.Queue[tuple[list[Entity], list[Relation]] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"ingest-writer-{source}", daemon=True)
        self._thread.start()

    def add(self, rec: SourceRecord) -> None:
        for e in rec.entities:
            if e.properties and not e.property_sources:  # provenance: the record's dataset, field = key
                e.property_sources = {k: sorted(PropSource(d, k) for d in e.sources or [self.source])
                                      for k in e.properties}
            old = self.entities.get(e.id)
            self.entities[e.id] = e if old is None else old.merge(e)
        for r in rec.relations:  # Relation.key without the slow enum `.value` lookup
            self.relations.setdefault((r.source_id, r.type, r.target_id, r.dataset), r)
        self.rows += len(rec.entities) + len(rec.relations)

    def flush(self) -> None:
        """Hand the current batch to the writer (blocks while the previous one is queued)."""
        self._check()
        if not self.entities and not self.relations:
            return
        self._queue.put((list(self.entities.values()), list(self.relations.values())))
        self.entities = {}
        self.relations = {}
        self.rows = 0
        self.batches += 1

    def close(self) -> None:
        """Write what is left and wait for the writer; re-raises its error."""
        try:
            self.flush()
        finally:
            self._queue.put(None)
            self._thread.join()
        self._check()

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        ended = False  # saw the end-of-source sentinel
        try:
            with self.store.bulk():  # entered on this thread: the store may hold a lock for the block
                while (job := self._queue.get()) is not None:
                    if self._error is None:
                        try:
                            self._write(*job)
                        except BaseException as exc:  # surfaced in the reading thread
                            self._error = exc
                ended = True
                if self._error is not None:
                    raise self._error  # leave the bulk block without committing what it staged
        except BaseException as exc:
            self._error = self._error or exc
            while not ended:  # drain so the reader never blocks on put()
                ended = self._queue.get() is None

    def _write(self, entities: list[Entity], rels: list[Relation]) -> None:
        if entities:
            self.store.upsert_entities(entities)
            self.written_entities += len(entities)
            self.known_ids.update(e.id for e in entities)
        unknown = {i for r in rels for i in (r.source_id, r.target_id)} - self.known_ids
        if unknown:
            self.known_ids.update(e.id for e in self.store.get_entities(sorted(unknown)))
            missing = unknown - self.known_ids
            if missing:
                for r in rels:
                    if r.source_id in missing or r.target_id in missing:
                        self.rejects.write(Reject.of(self.source, "", f"{r.source_id}-{r.type.value}->{r.target_id}",
                                                     "relation endpoint is not in the graph (source bug)"))
                rels = [r for r in rels if r.source_id not in missing and r.target_id not in missing]
        if rels:
            self.store.upsert_relations(rels)
            self.written_relations += len(rels)


def ingest(
    store: GraphStore,
    sources: Sequence[Source],
    *,
    rejects_path: Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: ProgressFn | None = None,
) -> IngestSummary:
    """Ingest `sources` in order into `store`; returns totals in the graph after the run."""
    t0 = time.perf_counter()
    rejects = _RejectWriter(rejects_path)
    summaries: list[SourceSummary] = []
    notify = on_progress or (lambda _p: None)
    try:
        for source in sources:
            summaries.append(_ingest_one(store, source, rejects, batch_size, notify))
    finally:
        rejects.close()
    stats = store.stats()
    return IngestSummary(
        nodes=stats.total_nodes,
        relationships=stats.total_relationships,
        rejected=rejects.count,
        rejects_path=str(rejects_path) if rejects.count and rejects_path is not None else None,
        seconds=round(time.perf_counter() - t0, 3),
        snapshot=store.snapshot(),
        sources=summaries,
    )


def _ingest_one(store: GraphStore, source: Source, rejects: _RejectWriter, batch_size: int,
                notify: ProgressFn) -> SourceSummary:
    t0 = time.perf_counter()
    summary = SourceSummary(source=source.name)
    known = KnownNames.from_index(store.name_index()) if source.uses_known_names else None
    total = source.total()
    notify(Progress(source.name, "start", 0, total))
    batcher = _Batcher(store, rejects, source.name)
    screen = NameScreen(source.name)
    rejected_before = rejects.count
    done = 0
    try:
        for item in source.read(known):
            done += 1
            if isinstance(item, Reject):
                rejects.write(item)
            else:
                item, bad_names = screen(item)
                for r in bad_names:
                    rejects.write(r)
                batcher.add(item)
                if batcher.rows >= batch_size:
                    batcher.flush()
                    notify(Progress(source.name, "batch", done, total, batcher.batches))
            if done % 500 == 0:
                notify(Progress(source.name, "advance", done, total, batcher.batches))
    finally:
        batcher.close()
    summary.records = done
    summary.entities = batcher.written_entities
    summary.relations = batcher.written_relations
    summary.rejected = rejects.count - rejected_before
    summary.seconds = round(time.perf_counter() - t0, 3)
    notify(Progress(source.name, "end", done, total, batcher.batches))
    return summary


def finish_graph(store: GraphStore) -> tuple[CleanSummary, ClassSummary]:
    """The whole-graph passes every ingest ends with: cleaning flags, then drug classes (stem and
    source-class edges for drugs the ATC table lacks). `qizhen kg ingest`, `kg clean`, `demo` and the
    tests' real graphs all end the same way."""
    from kg.cleaning import clean
    from kg.drug_classes import assign_classes

    return clean(store), assign_classes(store)
