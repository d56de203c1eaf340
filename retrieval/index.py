"""The FAISS passage index under `$QIZHEN_HOME/index/`, with a manifest naming the KG snapshot.

Layout: `manifest.json` names a build folder `b-<id>/` holding `index.faiss` and
`passages.parquet`, with their sha256. A build writes a new folder, then replaces
`manifest.json` atomically (temp file + os.replace): that single rename is the commit, so a
crash at any point leaves either the old index or the new one, never a half one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from kg.errors import InvalidInput, NotFound, QizhenError
from kg.stores.base import GraphStore
from retrieval.embedders.base import Embedder
from retrieval.evidence.passages import Passage, build_passages

MANIFEST = "manifest.json"
INDEX_FILE = "index.faiss"
PASSAGES_FILE = "passages.parquet"
FORMAT = 1
#: "auto" = exact flat scan. HNSW (M=32, efSearch=128) was measured on 120k clustered 384-d
#: vectors: p50 0.9 ms vs 144 ms flat on this shared 2-core box, but recall@10 only 0.67, so it is
#: opt-in (`--index-type hnsw`); the retriever ranks one entity's passages exactly anyway.
AUTO_INDEX_TYPE = "flat"

#: on_progress(stage, done, total): stage is "passages", "embed", "write" or "up-to-date"
ProgressFn = Callable[[str, int, int], None]


class IndexError_(QizhenError, RuntimeError):
    """Base of the index errors (named with a trailing _ to leave the builtin IndexError alone)."""


class MissingIndexError(IndexError_, NotFound):
    pass


class StaleIndexError(IndexError_):
    pass


class CorruptIndexError(IndexError_):
    pass


class IndexManifest(BaseModel):
    format: int = FORMAT
    snapshot: str = Field(description="GraphStore.snapshot() the passages were built from")
    model: str
    dim: int
    count: int
    index_type: str = "flat"
    created: str
    build: str = Field(description="the folder beside manifest.json holding the files")
    files: dict[str, str] = Field(default_factory=dict, description="file name → sha256")
    seconds: float = 0.0
    reused_embeddings: int = 0
    up_to_date: bool = Field(default=False, exclude=True, description="build_index found nothing to do")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _faiss():  # -> module
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - faiss-cpu is a core dependency
        raise ImportError("the passage index needs faiss: pip install faiss-cpu (or 'qizhen[gpu]')") from exc
    return faiss


def read_manifest(index_dir: Path) -> IndexManifest:
    path = Path(index_dir) / MANIFEST
    if not path.exists():
        raise MissingIndexError(f"no passage index at {index_dir}: run `qizhen index build`")
    try:
        return IndexManifest.model_validate_json(path.read_text())
    except (OSError, ValueError) as exc:
        raise CorruptIndexError(f"unreadable index manifest {path}: {exc}: run `qizhen index build --force`") from exc


# -- passages on disk -------------------------------------------------------------------------
_COLUMNS = [f.name for f in fields(Passage)]


def _write_passages(passages: Sequence[Passage], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = {c: [getattr(p, c) for p in passages] for c in _COLUMNS}
    pq.write_table(pa.table(cols), path, compression="zstd")


def _read_passages(path: Path) -> list[Passage]:
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=_COLUMNS).to_pydict()
    return [Passage(**dict(zip(_COLUMNS, row, strict=True))) for row in zip(*(table[c] for c in _COLUMNS),
                                                                          strict=True)]


# -- the index --------------------------------------------------------------------------------
class PassageIndex:
    """A loaded, verified index. `open()` raises Missing/Stale/CorruptIndexError, never returns junk."""

    def __init__(self, manifest: IndexManifest, passages: list[Passage], index: object,
                 embedder: Embedder | None = None) -> None:
        self.manifest = manifest
        self.passages = passages
        self._index = index
        self.embedder = embedder
        self._rows: dict[str, list[int]] | None = None

    @classmethod
    def open(cls, index_dir: Path, embedder: Embedder | None = None, *, snapshot: str | None = None,
             verify: bool = True) -> PassageIndex:
        """Load and check: the manifest's snapshot must equal `snapshot` (when given) and its
        model the embedder's; the files must match their checksums (when `verify`)."""
        index_dir = Path(index_dir)
        manifest = read_manifest(index_dir)
        if snapshot is not None and manifest.snapshot != snapshot:
            raise StaleIndexError(f"index was built for snapshot {manifest.snapshot}, graph is at {snapshot}: "
                                  "run `qizhen index build`")
        if embedder is not None and manifest.model != embedder.name:
            raise StaleIndexError(f"index was built with model {manifest.model!r}, the embedder is "
                                  f"{embedder.name!r}: run `qizhen index build`")
        build = index_dir / manifest.build
        try:
            for name, digest in manifest.files.items():
                path = build / name
                if not path.exists():
                    raise CorruptIndexError(f"index file {path} is missing: run `qizhen index build --force`")
                if verify and _sha256(path) != digest:
                    raise CorruptIndexError(f"index file {path} does not match its checksum: "
                                            "run `qizhen index build --force`")
            faiss = _faiss()
            index = faiss.read_index(str(build / INDEX_FILE))
            passages = _read_passages(build / PASSAGES_FILE)
        except CorruptIndexError:
            raise
        except Exception as exc:  # faiss/pyarrow raise assorted types on bad bytes
            raise CorruptIndexError(f"cannot read the index in {build}: {exc}: "
                                    "run `qizhen index build --force`") from exc
        if index.ntotal != len(passages) or index.ntotal != manifest.count or index.d != manifest.dim:
            raise CorruptIndexError(f"index in {build} holds {index.ntotal} vectors of dim {index.d} for "
                                    f"{len(passages)} passages, manifest says {manifest.count} × {manifest.dim}")
        if faiss.get_num_gpus() > 0 and manifest.index_type == "flat":  # pragma: no cover - GPU machines
            index = faiss.index_cpu_to_all_gpus(index)
        return cls(manifest, passages, index, embedder)

    def __len__(self) -> int:
        return len(self.passages)

    def search_vectors(self, queries: np.ndarray, k: int) -> list[list[tuple[Passage, float]]]:
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = min(k, len(self.passages))
        if k <= 0:
            return [[] for _ in range(len(q))]
        scores, ids = self._index.search(q, k)
        return [[(self.passages[i], float(s)) for i, s in zip(row_ids, row_scores, strict=True) if i >= 0]
                for row_ids, row_scores in zip(ids, scores, strict=True)]

    def search(self, query: str, k: int = 10) -> list[tuple[Passage, float]]:
        """Passages most similar to `query` (cosine), best first."""
        if self.embedder is None:
            raise InvalidInput("this PassageIndex was opened without an embedder; use search_vectors")
        return self.search_vectors(self.embedder.embed_queries([query]), k)[0]

    def vectors(self, rows: Sequence[int] | None = None) -> np.ndarray:
        """Stored (normalized) vectors: all of them, or those of `rows` (positions in `passages`)."""
        if rows is None:
            return self._index.reconstruct_n(0, self._index.ntotal)
        if not len(rows):
            return np.zeros((0, self.manifest.dim), dtype=np.float32)
        return np.stack([self._index.reconstruct(int(i)) for i in rows])

    def rows_of(self, entity_id: str) -> list[int]:
        """Positions of one entity's passages (built once, then a dict lookup)."""
        if self._rows is None:
            rows: dict[str, list[int]] = {}
            for i, p in enumerate(self.passages):
                rows.setdefault(p.entity_id, []).append(i)
            self._rows = rows
        return self._rows.get(entity_id, [])

    def search_entity(self, query: np.ndarray, entity_id: str, k: int = 8) -> list[tuple[Passage, float]]:
        """One entity's passages ranked by cosine to a query vector (exact, no ANN)."""
        rows = self.rows_of(entity_id)
        if not rows:
            return []
        scores = self.vectors(rows) @ np.asarray(query, dtype=np.float32).reshape(-1)
        order = np.argsort(-scores)[:k]
        return [(self.passages[rows[int(j)]], float(scores[j])) for j in order]


def make_faiss_index(vectors: np.ndarray, index_type: str = "auto") -> tuple[object, str]:
    """Inner-product index over normalized vectors: exact flat (default) or HNSW."""
    faiss = _faiss()
    dim = vectors.shape[1]
    if index_type == "auto":
        index_type = AUTO_INDEX_TYPE
    if index_type == "flat":
        index = faiss.IndexFlatIP(dim)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        raise InvalidInput(f"unknown index type {index_type!r}: flat | hnsw | auto")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, index_type


def _old_vectors(index_dir: Path, model: str) -> dict[str, np.ndarray]:
    """Embeddings of the previous build by passage id (same model only); {} if none is usable."""
    try:
        old = PassageIndex.open(index_dir, verify=True)
    except IndexError_:
        return {}
    if old.manifest.model != model:
        return {}
    try:
        vecs = old.vectors()
    except Exception:  # noqa: BLE001 - an index type that cannot reconstruct: just re-embed
        return {}
    return {p.id: vecs[i] for i, p in enumerate(old.passages)}


def _partial_dir(index_dir: Path, model: str) -> Path:
    return index_dir / f".partial-{hashlib.blake2b(model.encode(), digest_size=6).hexdigest()}"


def _save_partial(partial: Path, start: int, ids: list[str], vectors: np.ndarray) -> None:
    """Checkpoint one embedded chunk (temp file + rename), so a killed build resumes where it was."""
    partial.mkdir(parents=True, exist_ok=True)
    tmp = partial / f".{start:09d}.npz.tmp"
    with open(tmp, "wb") as f:
        np.savez(f, ids=np.array(ids), vectors=vectors)
    os.replace(tmp, partial / f"{start:09d}.npz")


def _partial_vectors(partial: Path) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for path in sorted(partial.glob("*.npz")) if partial.is_dir() else []:
        try:
            with np.load(path) as z:
                out.update(zip(z["ids"].tolist(), z["vectors"], strict=True))
        except Exception:  # noqa: BLE001 - a damaged checkpoint is just re-embedded
            continue
    return out


def build_index(store: GraphStore, embedder: Embedder, index_dir: Path, *, force: bool = False,
                on_progress: ProgressFn | None = None, index_type: str = "auto",
                batch_size: int = 64) -> IndexManifest:
    """Build (or skip: same snapshot and model) the passage index of `store` into `index_dir`.

    Unchanged passages (same id hash) reuse the previous build's embeddings, and embedded chunks
    are checkpointed under `.partial-*/`, so a killed build resumes instead of starting over.
    """
    t0 = time.perf_counter()
    progress = on_progress or (lambda stage, done, total: None)
    index_dir = Path(index_dir)
    snapshot = store.snapshot()
    if not force:
        try:
            current = read_manifest(index_dir)
            if current.snapshot == snapshot and current.model == embedder.name:
                PassageIndex.open(index_dir, snapshot=snapshot, verify=True)  # really intact?
                progress("up-to-date", current.count, current.count)
                return current.model_copy(update={"up_to_date": True})
        except IndexError_:
            pass

    passages: list[Passage] = []
    for p in build_passages(store):
        passages.append(p)
        if len(passages) % 5000 == 0:
            progress("passages", len(passages), 0)
    progress("passages", len(passages), len(passages))

    reuse = {} if force else _old_vectors(index_dir, embedder.name)
    partial = _partial_dir(index_dir, embedder.name)
    reuse.update(_partial_vectors(partial))  # what an interrupted build of this model already embedded
    embedder.warm_up()
    vectors = np.zeros((len(passages), embedder.dim), dtype=np.float32)
    todo = [i for i, p in enumerate(passages) if p.id not in reuse]
    for i, p in enumerate(passages):
        if p.id in reuse:
            vectors[i] = reuse[p.id]
    done = len(passages) - len(todo)
    progress("embed", done, len(passages))
    step = max(batch_size * 16, 256)
    for start in range(0, len(todo), step):
        ids = todo[start : start + step]
        vectors[ids] = embedder.embed_passages([passages[i].embed_text for i in ids], batch_size=batch_size)
        _save_partial(partial, start, [passages[i].id for i in ids], vectors[ids])
        done += len(ids)
        progress("embed", done, len(passages))

    progress("write", 0, 1)
    manifest = write_index(index_dir, passages, vectors, snapshot=snapshot, model=embedder.name,
                           index_type=index_type, reused=len(passages) - len(todo), started=t0)
    shutil.rmtree(partial, ignore_errors=True)
    progress("write", 1, 1)
    return manifest


def write_index(index_dir: Path, passages: Sequence[Passage], vectors: np.ndarray, *, snapshot: str, model: str,
                index_type: str = "auto", reused: int = 0, started: float | None = None) -> IndexManifest:
    """Write a new build folder, then commit it by atomically replacing manifest.json."""
    faiss = _faiss()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    build = f"b-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{build}"
    tmp.mkdir()
    try:
        index, kind = make_faiss_index(vectors, index_type)
        faiss.write_index(index, str(tmp / INDEX_FILE))
        _write_passages(passages, tmp / PASSAGES_FILE)
        for name in (INDEX_FILE, PASSAGES_FILE):
            with open(tmp / name, "rb") as f:
                os.fsync(f.fileno())
        files = {name: _sha256(tmp / name) for name in (INDEX_FILE, PASSAGES_FILE)}
        os.replace(tmp, index_dir / build)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest = IndexManifest(snapshot=snapshot, model=model, dim=int(vectors.shape[1]), count=len(passages),
                             index_type=kind, created=datetime.now(UTC).isoformat(timespec="seconds"),
                             build=build, files=files, reused_embeddings=reused,
                             seconds=round(time.perf_counter() - started, 2) if started else 0.0)
    mtmp = index_dir / f".{MANIFEST}.{uuid.uuid4().hex[:6]}.tmp"
    mtmp.write_text(json.dumps(manifest.model_dump(), indent=2, ensure_ascii=False))
    with open(mtmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(mtmp, index_dir / MANIFEST)  # the commit point
    _cleanup(index_dir, keep=build)
    return manifest


def _cleanup(index_dir: Path, keep: str) -> None:
    """Remove older build folders and leftovers of interrupted builds."""
    for child in index_dir.iterdir():
        if child.name == keep or child.name == MANIFEST:
            continue
        if child.is_dir() and child.name.startswith(("b-", ".tmp-", ".partial-")):
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(f".{MANIFEST}.") and child.name.endswith(".tmp"):
            child.unlink(missing_ok=True)


__all__ = [
    "IndexManifest", "PassageIndex", "build_index", "write_index", "read_manifest", "make_faiss_index",
    "MissingIndexError", "StaleIndexError", "CorruptIndexError", "IndexError_",
]
