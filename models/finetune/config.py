"""The fine-tuning configuration: one dataclass, every field documented, loadable from YAML.

Relative paths in a YAML file are resolved against the current directory (as `qizhen finetune
train` is run), like every other path on the command line. Unknown keys are an error naming the
closest valid key, so a typo never silently trains with a default.
"""

from __future__ import annotations

import difflib
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from kg.errors import InvalidInput
from models.finetune.loaders import DataSource
from models.prompts import STYLES as PROMPT_STYLES

PRECISIONS = ("auto", "fp32", "bf16", "fp16")

#: LoRA target modules per `config.model_type`: attention always, MLP with `lora_mlp`.
LORA_TARGETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "llama": (("q_proj", "k_proj", "v_proj", "o_proj"), ("gate_proj", "up_proj", "down_proj")),
    "mistral": (("q_proj", "k_proj", "v_proj", "o_proj"), ("gate_proj", "up_proj", "down_proj")),
    "qwen2": (("q_proj", "k_proj", "v_proj", "o_proj"), ("gate_proj", "up_proj", "down_proj")),
    "baichuan": (("W_pack", "o_proj"), ("gate_proj", "up_proj", "down_proj")),
    "chatglm": (("query_key_value",), ("dense_h_to_4h", "dense_4h_to_h")),
    "bloom": (("query_key_value",), ("dense_h_to_4h", "dense_4h_to_h")),
}


class ConfigError(InvalidInput):
    """The YAML file or a field value is invalid."""


def default_lora_targets(model_type: str, mlp: bool = False) -> list[str]:
    """The modules LoRA adapts for an architecture (LLaMA q/k/v/o[/gate/up/down]; ChatGLM query_key_value)."""
    if model_type not in LORA_TARGETS:
        raise ConfigError(f"no default LoRA targets for model_type {model_type!r}; set lora_targets in the config "
                          f"(known: {', '.join(sorted(LORA_TARGETS))})")
    attn, ffn = LORA_TARGETS[model_type]
    return list(attn) + (list(ffn) if mlp else [])


def _f(default: Any, help: str, **kw: Any) -> Any:  # noqa: A002 - 'help' reads best here
    if isinstance(default, list | dict):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help}, **kw)
    return field(default=default, metadata={"help": help}, **kw)


@dataclass
class FinetuneConfig:
    """Everything `qizhen finetune train` needs; `FinetuneConfig.help()` lists the fields."""

    # model
    base_model: str = _f("", "HF model folder (or GGUF folder/file) to adapt")
    gguf_file: str | None = _f(None, "GGUF file name inside base_model, loaded (dequantized) by transformers")
    trust_remote_code: bool = _f(False, "allow the model's own code (ChatGLM-6B needs it)")
    prompt_style: str = _f("alpaca", "alpaca | chatglm | chat — the models.prompts template; saved with the adapter")
    grounded: bool = _f(False, "record in the prompt-style file that the adapter was trained on grounded data")
    # data
    train_files: list[DataSource] = _f([], "training files: [{path, ratio}] — alpaca JSON/JSONL or ShareGPT; ratio 0.5 = half, 2 = twice")
    val_files: list[DataSource] = _f([], "validation files (same format); empty → val_split of the training mix")
    val_split: float = _f(0.0, "fraction of the training mix held out for eval when val_files is empty")
    max_length: int = _f(512, "tokens per example; longer ones are truncated (counted and reported)")
    packing: bool = _f(False, "pack several examples into one max_length sequence (faster, attention spans them)")
    # LoRA
    lora_r: int = _f(8, "LoRA rank")
    lora_alpha: int = _f(16, "LoRA alpha (scale = alpha / r)")
    lora_dropout: float = _f(0.05, "dropout on the LoRA branch")
    lora_targets: list[str] = _f([], "module names to adapt; empty → the architecture default (see LORA_TARGETS)")
    lora_mlp: bool = _f(False, "with default targets, adapt the MLP too (LLaMA gate/up/down_proj)")
    # optimisation
    learning_rate: float = _f(3e-4, "peak learning rate")
    lr_scheduler: str = _f("cosine", "transformers scheduler name: cosine | linear | constant …")
    warmup_ratio: float = _f(0.03, "fraction of steps spent warming the learning rate up")
    weight_decay: float = _f(0.0, "AdamW weight decay")
    num_epochs: float = _f(1.0, "passes over the training mix (ignored when max_steps > 0)")
    max_steps: int = _f(-1, "optimizer steps to run; -1 → num_epochs")
    batch_size: int = _f(4, "examples per device per forward pass")
    eval_batch_size: int = _f(8, "examples per device per eval forward pass")
    gradient_accumulation_steps: int = _f(1, "forward passes per optimizer step")
    gradient_checkpointing: bool = _f(False, "recompute activations in backward (less memory, ~30% slower)")
    precision: str = _f("auto", "auto (bf16 on a bf16 GPU, fp16 on other GPUs, fp32 on CPU) | fp32 | bf16 | fp16 (GPU only)")
    deepspeed: str | None = _f(None, "DeepSpeed JSON config (ZeRO-2/3, see examples/finetune/); run under accelerate launch or deepspeed")
    seed: int = _f(42, "seed for data order, LoRA init and dropout")
    # evaluation, checkpoints, logs
    eval_steps: int = _f(0, "evaluate the validation loss every N steps (0 → only at the end)")
    save_steps: int = _f(0, "save a checkpoint every N steps (0 → only the final adapter)")
    save_total_limit: int | None = _f(3, "keep at most this many checkpoints")
    resume_from_checkpoint: str | None = _f(None, "checkpoint folder to resume, or 'latest' in output_dir")
    output_dir: str = _f("adapter", "where checkpoints, the final adapter and the prompt-style file go")
    log_file: str | None = _f(None, "loss log, .csv or .jsonl (step, epoch, loss, lr, eval_loss); default output_dir/train_log.jsonl")
    logging_steps: int = _f(1, "log the training loss every N steps")
    progress: bool = _f(True, "show a rich progress bar")

    def __post_init__(self) -> None:
        self.train_files = [_source(s) for s in self.train_files]
        self.val_files = [_source(s) for s in self.val_files]
        problems: list[str] = []
        if self.prompt_style not in PROMPT_STYLES:
            problems.append(f"prompt_style must be one of {PROMPT_STYLES}")
        if self.precision not in PRECISIONS:
            problems.append(f"precision must be one of {PRECISIONS}")
        for name in ("max_length", "lora_r", "lora_alpha", "batch_size", "eval_batch_size",
                     "gradient_accumulation_steps", "logging_steps"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be ≥ 1")
        for name in ("eval_steps", "save_steps"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be ≥ 0")
        if not 0.0 <= self.val_split < 1.0:
            problems.append("val_split must be in [0, 1)")
        if not 0.0 <= self.lora_dropout < 1.0:
            problems.append("lora_dropout must be in [0, 1)")
        if self.max_steps <= 0 and self.num_epochs <= 0:
            problems.append("set max_steps > 0 or num_epochs > 0")
        if problems:
            raise ConfigError("invalid fine-tuning config: " + "; ".join(problems))

    # -- YAML --------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "config") -> FinetuneConfig:
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a mapping of settings")
        valid = [f.name for f in fields(cls)]
        for key in data:
            if key not in valid:
                close = difflib.get_close_matches(str(key), valid, n=1)
                hint = f" — did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(valid)}"
                raise ConfigError(f"{where}: unknown key {key!r}{hint}")
        try:
            return cls(**data)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {exc}") from exc

    @classmethod
    def from_yaml(cls, path: str | Path) -> FinetuneConfig:
        import yaml

        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        return cls.from_dict(data, str(path))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("train_files", "val_files"):
            data[key] = [{"path": str(s.path), "ratio": s.ratio} for s in getattr(self, key)]
        return data

    def to_yaml(self, path: str | Path | None = None) -> str:
        import yaml

        text = yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def help(cls) -> str:
        """'name (default): help' per field — for `qizhen finetune config-help`."""
        lines = []
        for f in fields(cls):
            default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
            lines.append(f"{f.name} ({default!r}): {f.metadata.get('help', '')}")
        return "\n".join(lines)

    @property
    def log_path(self) -> Path:
        return Path(self.log_file) if self.log_file else Path(self.output_dir) / "train_log.jsonl"


def _source(value: Any) -> DataSource:
    if isinstance(value, DataSource):
        return value
    if isinstance(value, str):
        return DataSource(Path(value))
    if isinstance(value, dict) and "path" in value and set(value) <= {"path", "ratio"}:
        return DataSource(Path(value["path"]), float(value.get("ratio", 1.0)))
    raise ConfigError(f"a data file is a path or {{path, ratio}}, got {value!r}")
