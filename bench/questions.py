"""Benchmark questions (the dev sets' questions plus rephrasings, read from ../shared/data) and the
percentile the benches report them with."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

DATA = Path(os.environ.get("QIZHEN_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
TEMPLATES = ["{X}有什么副作用", "{X}是治什么的", "{X}哪些人不能吃", "得了{X}会有什么感觉", "{X}吃什么药", "{X}该挂哪个科"]


def questions(limit: int | None = None) -> list[str]:
    out: list[str] = []
    with (DATA / "drug_indication_eval_dev.csv").open(encoding="utf-8") as fh:
        drugs = [r["药品"] for r in csv.DictReader(fh)]
    rows = [json.loads(x) for x in (DATA / "disease_eval_dev.jsonl").read_text(encoding="utf-8").splitlines() if x]
    out += [f"{d}的适应病症" for d in drugs] + [r["question"] for r in rows]
    diseases = sorted({r["disease"] for r in rows})
    for i, t in enumerate(TEMPLATES):
        names = drugs if i < 3 else diseases
        out += [t.format(X=n) for n in names[:40]]
    return out[:limit] if limit else out


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, q in [0, 1]."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
