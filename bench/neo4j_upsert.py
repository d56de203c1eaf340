"""Upsert throughput of the Neo4j backend against a Bolt server (ArcadeDB via bench/bolt_server.py).

    python bench/bolt_server.py --root /tmp/bolt --port 7687 --password qizhen-bench --database qizhen &
    python bench/neo4j_upsert.py --uri bolt://127.0.0.1:7687 --password qizhen-bench \
        --entities 20000 --relations 100000

Clears the database, writes synthetic entities and relations, re-upserts both (the no-op path of
an idempotent re-ingest) and prints seconds and rows/s per phase. The graph is synthetic but has
the real shape: short Chinese names, a few aliases, a JSON properties blob, 8 relationship types.
"""

from __future__ import annotations

import argparse
import random
import time

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


def timed(label: str, rows: int, fn) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    written = fn()
    secs = time.perf_counter() - start
    print(f"{label:<28} {rows:>8} rows  {secs:7.2f} s  {rows / secs:9.0f} rows/s  (written {written})",
          flush=True)


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
    args = p.parse_args()

    ents, rels = synthetic(args.entities, args.relations)
    with Neo4jStore(args.uri, args.user, args.password, args.database, timeout_s=5.0,
                    entity_batch=args.entity_batch, relation_batch=args.relation_batch) as store:
        timed("clear", 0, store.clear)
        timed("entities (new)", len(ents), lambda: store.upsert_entities(ents))
        timed("relations (new)", len(rels), lambda: store.upsert_relations(rels))
        timed("entities (re-upsert, no-op)", len(ents), lambda: store.upsert_entities(ents))
        timed("relations (re-upsert, no-op)", len(rels), lambda: store.upsert_relations(rels))
        timed("stats", 0, lambda: store.stats().total_relationships)
        timed("find_by_name", 0, lambda: len(store.find_by_name("别名123")))
        timed("facts", 0, lambda: len(store.facts(ents[5].id)))
        timed("name_index", 0, lambda: len(store.name_index()))
        timed("iter_entities", 0, lambda: sum(len(b) for b in store.iter_entities()))
        timed("clear (full graph)", 0, store.clear)


if __name__ == "__main__":
    main()
