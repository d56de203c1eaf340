"""Builds an independent reference for indication precision: the CareGPT 适应证 text of the same ingredient.

    QIZHEN_HOME=/work/qhome python bench/indication_reference.py \
        ../shared/data/drug_indication_eval_dev.csv ../shared/data/caregpt/drug.json \
        --out tests/data/indication_precision_dev.jsonl

For every drug of the CSV whose ingredient (its name without dosage form or salt, kg.normalize.core_name)
matches a CareGPT handbook entry, the reference is the set of disease and symptom names the graph's
linker finds in that entry's 适应证 text (longest match first, the mention and the entity's name both
kept). Drugs without such an entry are skipped. Each output line is a score_answers.py `precision`
question: {"question": "<药品>的适应病症", "reference": [...], "drug": ..., "caregpt": ...}.
Answers built from CMeKG (and xywy, 39health) are checked against this text, which they do not come
from when the drug's own node is not the CareGPT entry.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from app.settings import Settings  # noqa: E402
from kg.normalize import core_name  # noqa: E402
from kg.schema import NodeType  # noqa: E402
from kg.stores import open_store  # noqa: E402
from retrieval.linking import EntityLinker  # noqa: E402

CLINICAL = {NodeType.DISEASE.value, NodeType.SYMPTOM.value}


def caregpt_indications(path: Path) -> dict[str, tuple[str, str]]:
    """core name → (entry name, 适应证 text) from CareGPT's drug.json (one text per entry)."""
    out: dict[str, tuple[str, str]] = {}
    for raw in json.loads(path.read_text(encoding="utf-8")):
        lines = raw.split("\n")
        name = lines[0].strip()
        text = next((ln.split(":", 1)[1] for ln in lines[1:] if ln.startswith("适应证:")), "")
        if name and text.strip():
            out.setdefault(core_name(name), (name, text.strip()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("caregpt", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    s = Settings()
    store = open_store(s, read_only=True)
    try:
        linker = EntityLinker(store.name_index(), store.described_ids())
    finally:
        store.close()
    handbook = caregpt_indications(args.caregpt)
    rows = list(csv.DictReader(args.csv.open(encoding="utf-8")))
    written = 0
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            drug = row["药品"].strip()
            hit = handbook.get(core_name(drug))
            if hit is None:
                continue
            entry, text = hit
            ref: list[str] = []
            for m in linker.link(text, fuzzy=False):
                if m.type in CLINICAL and m.score >= 0.6:
                    ref += [x for x in dict.fromkeys((m.mention, m.name)) if x and x not in ref]
            if not ref:
                continue
            fh.write(json.dumps({"question": f"{drug}的适应病症", "reference": ref, "drug": drug, "caregpt": entry},
                                ensure_ascii=False) + "\n")
            written += 1
    print(f"{written} of {len(rows)} drugs have a same-ingredient CareGPT entry with linked indications → {args.out}")


if __name__ == "__main__":
    main()
