"""Trainer mechanics on the tiny LLaMA: adapter reload gives the same logits, resume continues the
step count, bad configs fail clearly; a slow test fine-tunes SmolLM2-135M on CPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.finetune.config import ConfigError, FinetuneConfig
from models.finetune.data import build_data_files
from models.finetune.train import train
from tests.models.finetune.conftest import build_kg
from tests.models.finetune.memstore import MemoryStore
from tests.models.finetune.tiny import build_tiny_llama


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("train")
    store = MemoryStore()
    build_kg(store, n_drugs=15, n_diseases=10)
    res = build_data_files(store, work / "kg.jsonl", val_ratio=0.0, templates_per_fact=1)
    model = build_tiny_llama(work / "tiny", [(work / "kg.jsonl").read_text(encoding="utf-8")])
    assert res.train_rows > 20
    return work, model


def _cfg(work: Path, model: Path, **kw: object) -> FinetuneConfig:
    base = dict(base_model=str(model), train_files=[str(work / "kg.jsonl")], max_length=192, batch_size=2,
                max_steps=4, save_steps=2, learning_rate=5e-3, output_dir=str(work / "out"), progress=False,
                val_split=0.1, lora_targets=["q_proj", "v_proj"])
    base.update(kw)
    return FinetuneConfig(**base)  # type: ignore[arg-type]


def test_adapter_reload_and_resume(setup: tuple[Path, Path]) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    work, model_dir = setup
    first = train(_cfg(work, model_dir))
    assert first.global_step == 4 and first.eval_loss is not None and first.val_examples > 0
    ids = torch.tensor([[5, 6, 7, 8, 9, 10]])
    trained = first.model.eval()
    reloaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(model_dir), str(work / "out")).eval()
    with torch.no_grad():
        assert torch.equal(trained(input_ids=ids).logits, reloaded(input_ids=ids).logits)

    # resume from the latest checkpoint (step 4) and run on to step 6: the count continues
    second = train(_cfg(work, model_dir, max_steps=6, resume_from_checkpoint="latest"))
    assert second.resumed_from is not None and second.resumed_from.endswith("checkpoint-4")
    assert second.global_step == 6 and [s for s, _ in second.losses] == [5, 6]
    steps = [json.loads(x)["step"] for x in (work / "out" / "train_log.jsonl").read_text().splitlines()
             if json.loads(x)["loss"] is not None]
    assert steps == [1, 2, 3, 4, 5, 6]  # one log across both runs
    state = json.loads((work / "out" / "checkpoint-6" / "trainer_state.json").read_text())
    assert state["global_step"] == 6


def test_bad_configs_fail_clearly(setup: tuple[Path, Path]) -> None:
    work, model_dir = setup
    with pytest.raises(ConfigError, match="no checkpoint"):
        train(_cfg(work, model_dir, output_dir=str(work / "empty"), resume_from_checkpoint="latest"))
    with pytest.raises(ConfigError, match="needs a GPU"):
        train(_cfg(work, model_dir, precision="bf16"))
    with pytest.raises(ConfigError, match="raise max_length"):
        train(_cfg(work, model_dir, max_length=8, output_dir=str(work / "short")))


@pytest.mark.slow
def test_smollm2_lora_on_cpu(tmp_path: Path) -> None:
    from models.loading import smollm2_gguf_path

    smollm2_gguf_path()  # raises with the pip hint when the package is missing
    store = MemoryStore()
    build_kg(store, n_drugs=8, n_diseases=6)
    build_data_files(store, tmp_path / "kg.jsonl", val_ratio=0.0, templates_per_fact=1)
    cfg = FinetuneConfig(base_model="smollm2", prompt_style="chat", train_files=[str(tmp_path / "kg.jsonl")],
                         max_length=128, batch_size=2, max_steps=3, learning_rate=1e-3,
                         output_dir=str(tmp_path / "out"), progress=False)
    res = train(cfg)
    assert res.global_step == 3 and len(res.losses) == 3
    assert all(0 < loss < 20 for _, loss in res.losses)
    assert (tmp_path / "out" / "adapter_model.safetensors").is_file()
    assert json.loads((tmp_path / "out" / "qizhen_prompt.json").read_text())["style"] == "chat"
