"""Draw the hand-check sample of issue 21: stem- and pattern-derived drug classes of substances the
ATC table lacks, 100 distinct generic names, seeded and reproducible.

    python bench/stem_sample.py --graph $QIZHEN_HOME/graph --atc ../shared/data/atc/atc_zh.csv \
        --round 4 --seed 4 --exclude tests/data/stem_sample_checked.tsv > /tmp/sample.tsv

Prints TSV rows `round, generic, node, atc_code, class, derivation` (verdict and note are left to
the checker). Names of earlier rounds (the `--exclude` file's `generic` column) are not drawn again.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

DERIVED = ("inn-stem", "name-pattern")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", type=Path, required=True, help="the graph file ($QIZHEN_HOME/graph)")
    ap.add_argument("--atc", type=Path, required=True, help="atc_zh.csv")
    ap.add_argument("--round", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--exclude", type=Path, help="a TSV of earlier rounds (its generic column)")
    args = ap.parse_args()

    from kg.classes import AtcTable, generic_name, name_variants
    from kg.drug_classes import generic_source
    from kg.schema import RelType
    from kg.stores import StoreConfig, open_store

    table = AtcTable.load(args.atc)
    seen: set[str] = set()
    if args.exclude and args.exclude.exists():
        with args.exclude.open(encoding="utf-8") as fh:
            rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
            seen = {r["generic"] for r in rows if r.get("generic")}
    with open_store(StoreConfig(path=args.graph), read_only=True) as store:
        edges = [e for e in store.edge_rows(RelType.IN_CLASS) if e.dataset in DERIVED and not e.flag]
        classes = {i: n for i, _t, n, _a in store.name_index()}
        drugs = {d.id: d for d in store.get_entities(sorted({e.source_id for e in edges}))}
        codes = {c.id: str(c.properties.get("ATC代码", "")) for c in store.get_entities(sorted({e.target_id for e in edges}))}
    by_generic: dict[str, list[tuple[str, str, str, str]]] = {}
    for e in sorted(edges, key=lambda e: (e.source_id, e.target_id)):
        d = drugs.get(e.source_id)
        if d is None:
            continue
        source = generic_source(d)
        generic = generic_name(source)
        if generic in seen or table.substance(name_variants(source)):
            continue
        by_generic.setdefault(generic, []).append((d.name, codes.get(e.target_id, ""), classes.get(e.target_id, ""), e.dataset))
    pool = sorted(by_generic)
    picked = sorted(random.Random(args.seed).sample(pool, min(args.n, len(pool))))
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    print(f"# pool: {len(pool)} generic names", file=sys.stderr)
    for g in picked:
        node, code, name, dataset = by_generic[g][0]
        out.writerow([args.round, g, node, code, name, dataset])


if __name__ == "__main__":
    main()
