"""p50/p99 of `ask` per question on the graph in $QIZHEN_HOME (extractive generator by default),
then tokens/s of the hf generator (delegated to bench/answer_hf.py).

    QIZHEN_HOME=~/.qizhen python bench/answer.py [--limit 600] [--no-hf] [--dense]

The graph must hold CMeKG + xywy (`qizhen kg ingest`, then `qizhen kg ingest --source xywy …`).
Goal: p50 ≤ 20 ms for the extractive path on the full graph. Reported: cold (first time each
question is asked in this process) and warm (asked again).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--generator", default="extractive")
    ap.add_argument("--dense", action="store_true", help="use the FAISS index too (if built)")
    ap.add_argument("--no-hf", action="store_true")
    args = ap.parse_args()

    service = QAService(Settings(generator=args.generator, dense=args.dense))
    t0 = time.perf_counter()
    service.warm_up()
    print(f"warm-up: {time.perf_counter() - t0:.1f} s (linker, jieba, generator)")
    qs = questions(args.limit)
    for label in ("uncached", "cold", "warm"):
        times: list[float] = []
        grounded = 0
        for q in qs:
            if label == "uncached":
                service.retriever.graph.clear()  # every graph read goes to the store
            t = time.perf_counter()
            a = service.ask(q)
            times.append((time.perf_counter() - t) * 1000)
            grounded += a.grounded
        print(f"ask[{args.generator}, {label}]: n={len(qs)} p50={pct(times, 0.5):.2f} ms p99={pct(times, 0.99):.2f} ms "
              f"mean={statistics.mean(times):.2f} ms grounded={grounded}/{len(qs)}")
    if not args.no_hf:
        subprocess.run([sys.executable, str(ROOT / "bench" / "answer_hf.py")], check=False)


if __name__ == "__main__":
    main()
