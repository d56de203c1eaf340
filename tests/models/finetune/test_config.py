"""The YAML config: round-trip, unknown keys, validation, LoRA targets per architecture."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.finetune.config import ConfigError, FinetuneConfig, default_lora_targets
from models.finetune.loaders import DataSource

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "finetune"


def test_yaml_round_trip(tmp_path: Path) -> None:
    cfg = FinetuneConfig(base_model="m", train_files=[{"path": "a.jsonl", "ratio": 0.5}, "b.jsonl"],  # type: ignore[list-item]
                         lora_targets=["q_proj"], max_steps=30, precision="fp32", packing=True)
    assert cfg.train_files == [DataSource(Path("a.jsonl"), 0.5), DataSource(Path("b.jsonl"), 1.0)]
    path = tmp_path / "c.yaml"
    cfg.to_yaml(path)
    again = FinetuneConfig.from_yaml(path)
    assert again == cfg


def test_unknown_key_and_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("base_model: m\nlearning_rte: 0.1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'learning_rte' — did you mean 'learning_rate'"):
        FinetuneConfig.from_yaml(path)
    path.write_text("base_model: m\nprecision: fp8\nbatch_size: 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="precision must be one of.*batch_size must be ≥ 1"):
        FinetuneConfig.from_yaml(path)
    path.write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping"):
        FinetuneConfig.from_yaml(path)
    with pytest.raises(ConfigError, match="no such config file"):
        FinetuneConfig.from_yaml(tmp_path / "missing.yaml")


def test_lora_targets_per_architecture() -> None:
    assert default_lora_targets("llama") == ["q_proj", "k_proj", "v_proj", "o_proj"]
    assert default_lora_targets("llama", mlp=True)[-3:] == ["gate_proj", "up_proj", "down_proj"]
    assert default_lora_targets("chatglm") == ["query_key_value"]
    with pytest.raises(ConfigError, match="set lora_targets"):
        default_lora_targets("unknown-arch")


def test_help_lists_every_field() -> None:
    text = FinetuneConfig.help()
    assert "gradient_accumulation_steps (1):" in text and "resume_from_checkpoint (None):" in text


def test_shipped_examples_load() -> None:
    cfg = FinetuneConfig.from_yaml(EXAMPLES / "tiny.yaml")
    assert cfg.train_files and cfg.max_steps > 0
    import json

    for name in ("deepspeed_zero2.json", "deepspeed_zero3.json"):
        ds = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
        assert ds["zero_optimization"]["stage"] in (2, 3)
        assert ds["train_micro_batch_size_per_gpu"] == "auto"
