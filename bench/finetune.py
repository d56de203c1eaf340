"""Training-step throughput and peak memory of LoRA SFT: the tiny LLaMA and SmolLM2-135M, CPU and GPU.

    python bench/finetune.py [--steps 10] [--models tiny,smollm2] [--devices cpu,cuda] [--kg-build GRAPH]

Prints tokens/s (non-pad tokens through forward+backward+step) and peak memory: process RSS on the
CPU, torch.cuda.max_memory_allocated on a GPU. `--kg-build PATH` also times `build-data` over an
ingested embedded graph (e.g. $QIZHEN_HOME/graph after `qizhen kg ingest`).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _data(work: Path) -> Path:
    from models.finetune.data import build_data_files
    from tests.models.finetune.conftest import build_kg
    from tests.models.finetune.memstore import MemoryStore

    store = MemoryStore()
    build_kg(store)
    build_data_files(store, work / "kg.jsonl", val_ratio=0.0, templates_per_fact=2)
    return work / "kg.jsonl"


def bench_model(name: str, device: str, steps: int, work: Path, data: Path) -> dict[str, float | str]:
    import torch

    from models.finetune.config import FinetuneConfig
    from models.finetune.encoding import PadCollator
    from models.finetune.train import build_model, prepare_datasets
    from models.prompts import get_template

    if name == "tiny":
        from tests.models.finetune.tiny import build_tiny_llama

        base = str(build_tiny_llama(work / "tiny", [data.read_text(encoding="utf-8")]))
        style, max_len, bs = "alpaca", 256, 8
    else:
        base, style, max_len, bs = "smollm2", "chat", 256, 4
    precision = "fp32" if device == "cpu" else ("bf16" if torch.cuda.is_bf16_supported() else "fp16")
    cfg = FinetuneConfig(base_model=base, prompt_style=style, train_files=[str(data)], max_length=max_len,
                         batch_size=bs, max_steps=steps, output_dir=str(work / "out"), progress=False)
    model, tok = build_model(cfg, precision)
    ds, _, _, _ = prepare_datasets(cfg, tok, get_template(style, tokenizer=tok))
    model.to(device).train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    collate = PadCollator(tok.pad_token_id)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    tokens, elapsed = 0, 0.0
    for step in range(steps + 1):  # step 0 warms up and is not timed
        batch = collate([ds[(step * bs + i) % len(ds)] for i in range(bs)])
        batch = {k: v.to(device) for k, v in batch.items()}
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast(device, dtype=dtype, enabled=dtype is not None):
            loss = model(**batch).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        if device == "cuda":
            torch.cuda.synchronize()
        if step:
            elapsed += time.perf_counter() - t0
            tokens += int(batch["attention_mask"].sum())
    peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else _rss_mib()
    return {"model": name, "device": device, "precision": precision, "steps": steps, "batch": bs,
            "tokens_per_s": tokens / elapsed, "peak_mib": peak, "loss": float(loss.detach())}


def bench_build(graph: Path) -> None:
    from kg.stores import StoreConfig, open_store
    from models.finetune.data import InstructionBuilder

    for grounded in (False, True):
        with open_store(StoreConfig(path=graph), read_only=True) as store:
            built = InstructionBuilder(store, grounded=grounded).build()
        s = built.stats
        print(f"build-data grounded={grounded}: {len(built.train)} train + {len(built.val)} val records from "
              f"{s.subjects} subjects / {s.entities_seen} entities in {s.seconds:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--models", default="tiny,smollm2")
    ap.add_argument("--devices", default="cpu,cuda")
    ap.add_argument("--kg-build", type=Path, default=None)
    args = ap.parse_args()
    import torch

    if args.kg_build:
        bench_build(args.kg_build)
    devices = [d for d in args.devices.split(",") if d == "cpu" or torch.cuda.is_available()]
    if "cuda" in args.devices and "cuda" not in devices:
        print("no GPU here: CPU figures only")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = _data(work)
        print(f"{'model':8} {'device':6} {'prec':5} {'batch':>5} {'tokens/s':>10} {'peak MiB':>9}")
        for name in args.models.split(","):
            for device in devices:
                r = bench_model(name, device, args.steps, work, data)
                print(f"{r['model']:8} {r['device']:6} {r['precision']:5} {r['batch']:>5} "
                      f"{r['tokens_per_s']:>10.0f} {r['peak_mib']:>9.0f}")


if __name__ == "__main__":
    main()
