"""Upsert throughput of the Neo4j backend against a Bolt server (ArcadeDB via bench/bolt_server.py).

    python bench/bolt_server.py --root /tmp/bolt --port 7687 --password qizhen-bench --database qizhen &
    python bench/neo4j_upsert.py --uri bolt://127.0.0.1:7687 --password qizhen-bench --server-pid "$!" \
        --entities 20000 --relations 100000

Clears the database, writes synthetic entities and relations, re-upserts both (the no-op path of
an idempotent re-ingest) and prints seconds and rows/s per phase. The graph is synthetic but has
the real shape: short Chinese names, a few aliases, a JSON properties blob, 8 relationship types.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

from kg.schema import Entity, NodeType, Relation, RelType
from kg.stores.neo4j import Neo4jStore

TYPES = [NodeType.DRUG, NodeType.DISEASE, NodeType.SYMPTOM, NodeType.CHECK]
RELS = [RelType.INDICATED_FOR, RelType.ADVERSE_REACTION, RelType.HAS_SYMPTOM, RelType.NEEDS_CHECK,
        RelType.TREATED_BY, RelType.COMPLICATION, RelType.CONTRAINDICATED, RelType.RELATED_TO]


def synthetic(n_ent: int, n_rel: int, seed: int = 7) -> tuple[list[Entity], list[Relation]]:
    rnd = random.Random(seed)
    ents = [Entity.named(f"实体{i}号", TYPES[i % len(TYPES)], aliases=[f"别名{i}", f"alias-{i}"],
                         properties={"简介": f"第{i}个实体的说明文字。" * 3, "分类": ["甲", "乙"]},
                         sources=["bench"], described=i % 3 == 0)
            for i in range(n_ent)]
    keys: set[tuple[int, int, int]] = set()
    while len(keys) < n_rel:
        keys.add((rnd.randrange(n_ent), rnd.randrange(len(RELS)), rnd.randrange(n_ent)))
    rels = [Relation(ents[s].id, RELS[t], ents[o].id, "bench", "谓词") for s, t, o in sorted(keys)]
    rnd.shuffle(rels)
    return ents, rels


def _cpu_s(pid: int | None) -> float:
    """CPU seconds (user + system) of a local process, from /proc (0 when unknown)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, rows: int, fn: Callable[[], object], server_pid: int | None) -> None:
    """Print wall seconds, rows/s, and the CPU seconds spent by this client and by the server:
    on a shared, loaded machine the CPU figures say more than the wall clock."""
    c0, s0, start = time.process_time(), _cpu_s(server_pid), time.perf_counter()
    written = fn()
    secs = time.perf_counter() - start
    cpu = f"client {time.process_time() - c0:5.1f} cpu-s"
    if server_pid is not None:
        cpu += f", server {_cpu_s(server_pid) - s0:5.1f} cpu-s"
    rate = f"{rows / secs:8.0f} rows/s" if rows else " " * 15
    print(f"{label:<30} {rows:>7} rows {secs:7.2f} s {rate}  ({cpu}; result {written})", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--uri", default="bolt://127.0.0.1:7687")
    p.add_argument("--user", default="root")
    p.add_argument("--password", required=True)
    p.add_argument("--database", default="qizhen")
    p.add_argument("--entities", type=int, default=20_000)
    p.add_argument("--relations", type=int, default=100_000)
    p.add_argument("--entity-batch", type=int, default=2_000)
    p.add_argument("--relation-batch", type=int, default=5_000)
    p.add_argument("--server-pid", type=int, help="pid of a local server, to report its CPU seconds")
    args = p.parse_args()

    ents, rels = synthetic(args.entities, args.relations)
    pid = args.server_pid
    with Neo4jStore(args.uri, args.user, args.password, args.database, timeout_s=5.0,
                    entity_batch=args.entity_batch, relation_batch=args.relation_batch) as store:
        timed("clear", 0, store.clear, pid)
        timed("entities (new)", len(ents), lambda: store.upsert_entities(ents), pid)
        timed("relations (new)", len(rels), lambda: store.upsert_relations(rels), pid)
        timed("entities (re-upsert, no-op)", len(ents), lambda: store.upsert_entities(ents), pid)
        timed("relations (re-upsert, no-op)", len(rels), lambda: store.upsert_relations(rels), pid)
        timed("stats", 0, lambda: store.stats().total_relationships, pid)
        timed("find_by_name", 0, lambda: len(store.find_by_name("别名123")), pid)
        timed("facts", 0, lambda: len(store.facts(ents[5].id)), pid)
        timed("name_index", 0, lambda: len(store.name_index()), pid)
        timed("iter_entities", 0, lambda: sum(len(b) for b in store.iter_entities()), pid)
        timed("clear (full graph)", 0, store.clear, pid)


if __name__ == "__main__":
    main()
