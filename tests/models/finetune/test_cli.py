"""The README's fine-tuning walk, run with the exact commands on the tiny model:
KG → `qizhen finetune build-data` → `qizhen finetune train` → `qizhen finetune merge` → load and generate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from tests.conftest import make_evidence
from tests.models.finetune.conftest import build_kg
from tests.models.finetune.tiny import build_tiny_llama

REPO = Path(__file__).resolve().parents[3]
TINY_YAML = REPO / "examples" / "finetune" / "tiny.yaml"


def _run(args: list[str]) -> str:
    res = CliRunner().invoke(app, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.stdout  # the progress bar goes to stderr


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the README commands once in a fresh directory with its own QIZHEN_HOME."""
    from app.settings import get_settings
    from kg.stores import open_store

    work = tmp_path_factory.mktemp("walk")
    mp = pytest.MonkeyPatch()
    mp.chdir(work)
    mp.setenv("QIZHEN_HOME", str(work / "home"))
    get_settings.cache_clear()
    try:
        settings = get_settings()
        settings.graph_path.parent.mkdir(parents=True, exist_ok=True)
        with open_store(settings) as store:  # stands in for `qizhen kg ingest`
            build_kg(store)  # type: ignore[arg-type]
        (work / "holdout.txt").write_text("\n".join(_held_out()) + "\n", encoding="utf-8")
        out = _run(["finetune", "build-data", "--out", "data/kg_sft.jsonl", "--templates-per-fact", "3",
                    "--val-ratio", "0.1", "--holdout", "holdout.txt", "--json"])
        (work / "build.json").write_text(out, encoding="utf-8")
        texts = [(work / "data" / f).read_text(encoding="utf-8") for f in ("kg_sft.jsonl", "kg_sft.val.jsonl")]
        build_tiny_llama(work / "models" / "tiny-llama", texts)
        (work / "train.json").write_text(_run(["finetune", "train", str(TINY_YAML), "--json"]), encoding="utf-8")
        _run(["finetune", "merge", "--base", "models/tiny-llama", "--adapter", "adapters/tiny",
              "--out", "models/qizhen-tiny"])
        yield work
    finally:
        get_settings.cache_clear()
        mp.undo()


def _held_out() -> list[str]:
    from tests.models.finetune.memstore import MemoryStore

    kg = build_kg(MemoryStore())
    return [kg["diseases"][0].name, kg["drugs"][0].name]


def test_build_data_from_the_graph(walk: Path) -> None:
    summary = json.loads((walk / "build.json").read_text(encoding="utf-8"))
    assert summary["train"] > 300 and summary["val"] > 0 and summary["held_out_entities"] == 2
    text = (walk / "data" / "kg_sft.jsonl").read_text(encoding="utf-8")
    for name in _held_out():
        assert name not in text


def test_training_lowers_the_loss_and_logs_it(walk: Path) -> None:
    summary = json.loads((walk / "train.json").read_text(encoding="utf-8"))
    assert summary["global_step"] == 30
    with (walk / "adapters" / "tiny" / "train_log.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    losses = [float(r["loss"]) for r in rows if r["loss"]]
    evals = [float(r["eval_loss"]) for r in rows if r["eval_loss"]]
    assert len(losses) == 30 and len(evals) >= 2
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < 0.7 * first, losses
    assert evals[-1] < evals[0]
    assert summary["data"]["truncated"] == 0 and summary["data"]["examples"] > 300


def test_adapter_folder_is_complete(walk: Path) -> None:
    from models.prompts import load_prompt_style

    adapter = walk / "adapters" / "tiny"
    for f in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "qizhen_prompt.json",
              "train_summary.json", "finetune_config.yaml"):
        assert (adapter / f).is_file(), f
    assert load_prompt_style(adapter).style == "alpaca"  # type: ignore[union-attr]
    assert sorted(p.name for p in adapter.glob("checkpoint-*")) == ["checkpoint-10", "checkpoint-20", "checkpoint-30"]


def test_merged_model_equals_adapter_and_serves(walk: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from models.loading import load_model
    from models.prompts import get_template, load_prompt_style

    merged_dir = walk / "models" / "qizhen-tiny"
    merged = AutoModelForCausalLM.from_pretrained(merged_dir, local_files_only=True).eval()
    tok = AutoTokenizer.from_pretrained(merged_dir, local_files_only=True)
    peft_model, _ = load_model(str(walk / "models" / "tiny-llama"), str(walk / "adapters" / "tiny"),
                               device="cpu", cache=False)
    base, _ = load_model(str(walk / "models" / "tiny-llama"), device="cpu", cache=False)
    style = load_prompt_style(merged_dir)
    assert style is not None and style.style == "alpaca"
    prompt = get_template(style).build(_held_out()[0] + "有哪些症状？")
    ids = tok(prompt, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        a, m, b = peft_model(ids).logits, merged(ids).logits, base(ids).logits
    assert torch.allclose(a, m, atol=1e-4)
    assert not torch.allclose(a, b, atol=1e-2)  # the adapter really changed the model
    out = merged.generate(ids, max_new_tokens=8, do_sample=False)
    assert out.shape[1] > ids.shape[1]


def test_hf_generator_serves_the_merged_model(walk: Path) -> None:
    from models.generators.base import GenerationRequest
    from models.generators.hf import HFGenerator

    gen = HFGenerator(str(walk / "models" / "qizhen-tiny"), prompt_style="alpaca")
    ev = [make_evidence(index=1, entity_id="x", entity_name="某病", entity_type="Disease", field="HAS_SYMPTOM",
                   text="发热", source="test")]
    text = gen.generate(GenerationRequest(question="某病有哪些症状？", evidence=ev, max_new_tokens=8))
    assert isinstance(text, str)
