"""Ingest throughput: CMeKG + xywy + 39health (+ CareGPT) into the embedded store, and into a
Bolt server when `--neo4j URI` is given (start one with bench/bolt_server.py).

    python bench/ingest.py                       # all four sources into a fresh ladybug graph
    python bench/ingest.py --sources cmekg,xywy  # the ≤ 60 s goal
    python bench/ingest.py --neo4j bolt://127.0.0.1:7687 --password PW --database qizhen

Prints, per store and source: wall seconds, relationship rows written per second, and the
process CPU seconds (the machine is shared, so wall time alone can mislead), then the load
average. The Bolt database is cleared first.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kg.ingest import DEFAULT_BATCH_SIZE, ingest  # noqa: E402
from kg.sources import Source, make_source  # noqa: E402
from kg.stores import StoreConfig, open_store  # noqa: E402
from kg.stores.base import GraphStore  # noqa: E402


def build_sources(names: list[str], data: Path) -> list[Source]:
    paths = {"cmekg": [], "xywy": [data / "xywy"], "39health": [data / "39health" / "disease.csv"],
             "caregpt": [data / "caregpt" / "drug.json"]}
    return [make_source(n, paths[n]) for n in names]


def run(label: str, store: GraphStore, sources: list[Source], batch_size: int) -> None:
    cpu0, t0 = time.process_time(), time.perf_counter()
    with store:
        store.clear()
        summary = ingest(store, sources, batch_size=batch_size)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(f"== {label}")
    for s in summary.sources:
        rate = s.relations / s.seconds if s.seconds else 0.0
        print(f"  {s.source:<9} {s.seconds:8.1f} s  {s.relations:>9} rel rows  {rate:>9.0f} rel/s  "
              f"{s.entities:>8} entity rows  {s.rejected} rejected")
    print(f"  total     {wall:8.1f} s  {summary.relationships:>9} relationships in graph  "
          f"{summary.relationships / wall:>9.0f} rel/s  {summary.nodes} nodes  cpu {cpu:.1f} s")
    print(f"  load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("QIZHEN_DATA", REPO.parent / "shared" / "data")))
    ap.add_argument("--sources", default="cmekg,xywy,39health,caregpt")
    ap.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    ap.add_argument("--graph-dir", type=Path, default=None, help="ladybug location (default: a temp dir)")
    ap.add_argument("--skip-embedded", action="store_true")
    ap.add_argument("--neo4j", metavar="URI", default=None)
    ap.add_argument("--user", default="root")
    ap.add_argument("--password", default=os.environ.get("QIZHEN_NEO4J_PASSWORD", ""))
    ap.add_argument("--database", default="qizhen")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.sources.split(",") if n.strip()]

    if not args.skip_embedded:
        with tempfile.TemporaryDirectory(prefix="qizhen-bench-") as tmp:
            path = args.graph_dir or Path(tmp) / "graph"
            run(f"ladybug ({path})", open_store(StoreConfig(path=path)), build_sources(names, args.data),
                args.batch_size)
    if args.neo4j:
        store = open_store(StoreConfig(graph="neo4j", neo4j_uri=args.neo4j, neo4j_user=args.user,
                                       neo4j_password=args.password, neo4j_database=args.database,
                                       store_timeout_s=10.0))
        run(f"bolt ({args.neo4j})", store, build_sources(names, args.data), args.batch_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
