"""Retrieval figures on the graph in $QIZHEN_HOME: p50/p99 latency per question (KG path, and with the
dense index when built), index build time and embedding throughput.

    QIZHEN_HOME=~/.qizhen python bench/retrieval.py [--limit 600] [--build-index] [--embed 2000]

Goals: p50 ≤ 15 ms for the KG path on the full graph; embedding throughput ≥ 2× the plain fp32 torch
path (the fast path is measured against it on the same passages).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
# this script's folder would shadow the `retrieval` package: import from the repository root only
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from app.pipeline import QAService  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.questions import pct, questions  # noqa: E402


def latency(settings: Settings, label: str, qs: list[str]) -> None:
    service = QAService(settings)
    t0 = time.perf_counter()
    service.warm_up()
    print(f"[{label}] warm-up {time.perf_counter() - t0:.1f} s, index: {service.health().index}")
    retriever = service.retriever
    for run in ("uncached", "cold", "warm"):
        times = []
        for q in qs:
            if run == "uncached":
                retriever.graph.clear()  # every graph read goes to the store
            t = time.perf_counter()
            retriever.retrieve(q)
            times.append((time.perf_counter() - t) * 1000)
        print(f"[{label}] retrieve {run}: n={len(qs)} p50={pct(times, 0.5):.2f} ms p99={pct(times, 0.99):.2f} ms "
              f"mean={statistics.mean(times):.2f} ms")


def embedding_throughput(settings: Settings, n: int) -> None:
    from kg.stores import open_store
    from retrieval.embedders import make_embedder
    from retrieval.evidence.passages import build_passages

    store = open_store(settings, read_only=True)
    texts: list[str] = []
    for p in build_passages(store):
        texts.append(p.text)
        if len(texts) >= n:
            break
    for backend in ("torch", "onnx"):
        emb = make_embedder(settings.embedding_model, settings.home_dir, backend=backend)
        emb.warm_up()
        emb.embed_passages(texts[:64])
        t = time.perf_counter()
        emb.embed_passages(texts)
        dt = time.perf_counter() - t
        print(f"embeddings[{backend}]: {len(texts)} passages in {dt:.1f} s = {len(texts) / dt:.1f} sentences/s")


def build_index(settings: Settings) -> None:
    from kg.stores import open_store
    from retrieval.embedders import make_embedder
    from retrieval.index import build_index as build

    store = open_store(settings, read_only=True)
    emb = make_embedder(settings.embedding_model, settings.home_dir, backend=settings.embedding_backend)
    t = time.perf_counter()
    manifest = build(store, emb, settings.index_dir, force=True)
    print(f"index build: {manifest.count} passages in {time.perf_counter() - t:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--build-index", action="store_true", help="time a full index build (minutes on CPU)")
    ap.add_argument("--embed", type=int, default=0, help="measure embedding throughput on N passages")
    args = ap.parse_args()
    qs = questions(args.limit)
    latency(Settings(dense=False), "kg", qs)
    if args.build_index:
        build_index(Settings())
    if (Settings().index_dir / "manifest.json").exists():
        latency(Settings(dense=True), "kg+dense", qs)
    if args.embed:
        embedding_throughput(Settings(), args.embed)


if __name__ == "__main__":
    main()
