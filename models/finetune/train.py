"""LoRA SFT with transformers' Trainer + peft: `qizhen finetune train CONFIG.yaml`.

The Trainer is used (not a plain loop) because it already does what multi-GPU needs: the same code
runs on one CPU, one GPU, or under `accelerate launch` (DDP) and DeepSpeed ZeRO-2/3 (set `deepspeed`
to a JSON config). Checkpoints hold the adapter, optimizer, scheduler and RNG state, so resuming
continues the step count exactly. The prompt template comes from models.prompts — the classes
inference uses — and its style is saved next to the adapter (qizhen_prompt.json).
"""

from __future__ import annotations

import csv
import json
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.finetune.config import ConfigError, FinetuneConfig, default_lora_targets
from models.finetune.encoding import EncodedDataset, EncodeStats, PadCollator, encode_records, pack
from models.finetune.loaders import mix
from models.finetune.records import InstructionRecord

SUMMARY_FILE = "train_summary.json"


@dataclass(slots=True)
class TrainResult:
    output_dir: Path
    global_step: int
    losses: list[tuple[int, float]]  # (step, training loss) as logged in this run
    eval_loss: float | None
    train_stats: EncodeStats
    val_examples: int
    seconds: float
    tokens_per_second: float
    resumed_from: str | None = None
    log_path: Path | None = None
    model: Any = field(default=None, repr=False)  # the trained peft model (in memory, for callers and tests)

    def summary(self) -> dict[str, Any]:
        return {"output_dir": str(self.output_dir), "global_step": self.global_step,
                "first_loss": self.losses[0][1] if self.losses else None,
                "last_loss": self.losses[-1][1] if self.losses else None, "eval_loss": self.eval_loss,
                "data": self.train_stats.summary(), "val_examples": self.val_examples,
                "seconds": round(self.seconds, 2), "tokens_per_second": round(self.tokens_per_second, 1),
                "resumed_from": self.resumed_from, "log_file": str(self.log_path) if self.log_path else None}


def _require_train_deps() -> None:
    try:
        import accelerate  # noqa: F401
        import peft  # noqa: F401
    except ImportError as exc:
        raise ImportError("fine-tuning needs peft and accelerate: pip install 'qizhen[train]'") from exc


#: the config's precision names and the dtype names models.loading resolves
PRECISION_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def resolve_precision(precision: str) -> str:
    """'fp32' | 'bf16' | 'fp16' through the one dtype rule (models.loading.resolve_dtype); half
    precision is for GPUs only."""
    import torch

    from models.loading import resolve_dtype

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if precision in ("bf16", "fp16") and device == "cpu":
        raise ConfigError(f"precision {precision} needs a GPU; use precision: fp32 (or auto) on CPU")
    dtype = resolve_dtype(None if precision == "auto" else PRECISION_DTYPES.get(precision, precision), device)
    return {v: k for k, v in PRECISION_DTYPES.items()}[dtype]


def split_records(records: list[InstructionRecord], ratio: float, seed: int) -> tuple[list[InstructionRecord], list[InstructionRecord]]:
    if ratio <= 0 or len(records) < 2:
        return records, []
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    n_val = max(1, int(len(shuffled) * ratio))
    return shuffled[n_val:], shuffled[:n_val]


def drop_gguf_marker(model: Any) -> Any:
    """transformers de-quantizes GGUF weights to ordinary float tensors on load but still marks the
    model as GGUF-quantized, which makes the Trainer refuse it and `save_pretrained` write a GGUF
    quantization_config. The weights are plain floats, so drop the marker."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None and "gguf" in str(quantizer.quantization_config.quant_method).lower():
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    return model


def build_model(cfg: FinetuneConfig, precision: str) -> tuple[Any, Any]:
    """(peft model with LoRA, tokenizer) for the base in `cfg`."""
    from peft import LoraConfig, get_peft_model

    from models.loading import load_model

    dtype = PRECISION_DTYPES[precision]
    # loaded on CPU: the Trainer moves it to this process's device (one per rank under DDP)
    model, tokenizer = load_model(cfg.base_model, gguf_file=cfg.gguf_file, dtype=dtype, device="cpu",
                                  trust_remote_code=cfg.trust_remote_code, cache=False)
    drop_gguf_marker(model)
    if tokenizer.pad_token_id is None:
        raise ConfigError("the tokenizer has neither a pad nor an EOS token; add one to the base model")
    targets = cfg.lora_targets or default_lora_targets(model.config.model_type, cfg.lora_mlp)
    lora = LoraConfig(task_type="CAUSAL_LM", r=cfg.lora_r, lora_alpha=cfg.lora_alpha,
                      lora_dropout=cfg.lora_dropout, target_modules=targets, bias="none")
    model.config.use_cache = False
    model = get_peft_model(model, lora)
    return model, tokenizer


def prepare_datasets(cfg: FinetuneConfig, tokenizer: Any, template: Any) -> tuple[EncodedDataset, EncodedDataset | None, EncodeStats, int]:
    if not cfg.train_files:
        raise ConfigError("no training data: set train_files in the config")
    records = mix(cfg.train_files, cfg.seed)
    if cfg.val_files:
        val = mix(cfg.val_files, cfg.seed)
    else:
        records, val = split_records(records, cfg.val_split, cfg.seed)
    stats = EncodeStats()
    train_ex = encode_records(records, tokenizer, template, cfg.max_length, stats)
    if not train_ex:
        raise ConfigError("no trainable example left after truncation: raise max_length")
    if cfg.packing:
        train_ex = pack(train_ex, cfg.max_length)
        stats.packed_sequences = len(train_ex)
    val_ex = encode_records(val, tokenizer, template, cfg.max_length) if val else []
    return EncodedDataset(train_ex), (EncodedDataset(val_ex) if val_ex else None), stats, len(val_ex)


class LossLog:
    """Appends (step, epoch, loss, lr, eval_loss) rows to a CSV or JSONL file you can plot."""

    COLUMNS = ("step", "epoch", "loss", "lr", "eval_loss")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.csv = path.suffix.lower() == ".csv"

    def write(self, row: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        with self.path.open("a", encoding="utf-8", newline="") as fh:
            if self.csv:
                w = csv.DictWriter(fh, fieldnames=self.COLUMNS)
                if new:
                    w.writeheader()
                w.writerow({k: row.get(k, "") for k in self.COLUMNS})
            else:
                fh.write(json.dumps({k: row.get(k) for k in self.COLUMNS}) + "\n")


def _callbacks(log: LossLog, losses: list[tuple[int, float]], progress: bool) -> list[Any]:
    from transformers import TrainerCallback

    class LogCallback(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kw: Any) -> None:
            if not logs or not state.is_world_process_zero:
                return
            if "loss" in logs or "eval_loss" in logs:
                row = {"step": state.global_step, "epoch": round(state.epoch or 0.0, 4), "loss": logs.get("loss"),
                       "lr": logs.get("learning_rate"), "eval_loss": logs.get("eval_loss")}
                log.write(row)
                if "loss" in logs:
                    losses.append((state.global_step, float(logs["loss"])))

    class RichProgress(TrainerCallback):
        def __init__(self) -> None:
            self.bar: Any = None
            self.task: Any = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if not state.is_world_process_zero:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("[bold]train[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task("", total=state.max_steps, completed=state.global_step)

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if self.bar is not None:
                self.bar.update(self.task, completed=state.global_step)

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kw: Any) -> None:
            if self.bar is not None and logs:
                parts = [f"{k}={logs[k]:.4f}" for k in ("loss", "eval_loss") if k in logs]
                if parts:
                    self.bar.update(self.task, description=" ".join(parts))

        def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if self.bar is not None:
                self.bar.stop()
                self.bar = None

    return [LogCallback()] + ([RichProgress()] if progress else [])


def _checkpointing_args(enabled: bool) -> dict[str, Any]:
    """Gradient checkpointing under its transformers-5 name (activation_…) or the 4.x one."""
    from transformers import TrainingArguments

    prefix = "activation" if "activation_checkpointing" in TrainingArguments.__dataclass_fields__ else "gradient"
    return {f"{prefix}_checkpointing": enabled,
            f"{prefix}_checkpointing_kwargs": {"use_reentrant": False} if enabled else None}


def resolve_resume(cfg: FinetuneConfig) -> str | None:
    if not cfg.resume_from_checkpoint:
        return None
    if cfg.resume_from_checkpoint == "latest":
        from transformers.trainer_utils import get_last_checkpoint

        last = get_last_checkpoint(cfg.output_dir) if Path(cfg.output_dir).is_dir() else None
        if last is None:
            raise ConfigError(f"resume_from_checkpoint: latest — no checkpoint-* folder in {cfg.output_dir}")
        return last
    if not (Path(cfg.resume_from_checkpoint) / "trainer_state.json").is_file():
        raise ConfigError(f"{cfg.resume_from_checkpoint} is not a checkpoint folder (no trainer_state.json)")
    return cfg.resume_from_checkpoint


def train(cfg: FinetuneConfig) -> TrainResult:
    """Fine-tune a LoRA adapter as `cfg` says; writes it (+ tokenizer + prompt style) to output_dir."""
    _require_train_deps()
    from transformers import PrinterCallback, Trainer, TrainingArguments

    from models.prompts import get_template, save_prompt_style

    t0 = time.perf_counter()
    precision = resolve_precision(cfg.precision)
    resume = resolve_resume(cfg)
    model, tokenizer = build_model(cfg, precision)
    template = get_template(cfg.prompt_style, grounded=cfg.grounded, tokenizer=tokenizer)
    train_ds, eval_ds, stats, n_val = prepare_datasets(cfg, tokenizer, template)

    out = Path(cfg.output_dir)
    evaluating = eval_ds is not None and cfg.eval_steps > 0
    args = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.eval_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=cfg.warmup_ratio,  # a float < 1 is a ratio of the total steps
        weight_decay=cfg.weight_decay,
        num_train_epochs=cfg.num_epochs,
        max_steps=cfg.max_steps,
        logging_steps=cfg.logging_steps,
        eval_strategy="steps" if evaluating else "no",
        eval_steps=cfg.eval_steps if evaluating else None,
        save_strategy="steps" if cfg.save_steps > 0 else "no",
        save_steps=cfg.save_steps if cfg.save_steps > 0 else 500,
        save_total_limit=cfg.save_total_limit,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        **_checkpointing_args(cfg.gradient_checkpointing),
        seed=cfg.seed,
        report_to="none",
        disable_tqdm=True,
        remove_unused_columns=False,
        label_names=["labels"],
        ddp_find_unused_parameters=False,
        deepspeed=cfg.deepspeed,
        dataloader_pin_memory=False,
    )
    losses: list[tuple[int, float]] = []
    log = LossLog(cfg.log_path)
    trainer = Trainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                      data_collator=PadCollator(tokenizer.pad_token_id), processing_class=tokenizer,
                      callbacks=_callbacks(log, losses, cfg.progress))
    trainer.remove_callback(PrinterCallback)  # the loss log and the progress bar replace its dict prints
    start_step = 0
    if resume:
        start_step = json.loads((Path(resume) / "trainer_state.json").read_text())["global_step"]
    t_train = time.perf_counter()
    trainer.train(resume_from_checkpoint=resume)
    train_seconds = time.perf_counter() - t_train
    eval_loss = None
    if eval_ds is not None:
        eval_loss = float(trainer.evaluate()["eval_loss"])
    steps = trainer.state.global_step - start_step
    tokens = stats.tokens / max(len(train_ds), 1) * steps * cfg.batch_size * cfg.gradient_accumulation_steps
    result = TrainResult(out, trainer.state.global_step, losses, eval_loss, stats, n_val,
                         time.perf_counter() - t0, tokens / train_seconds if train_seconds > 0 else math.nan,
                         resume, cfg.log_path, trainer.model)
    if trainer.is_world_process_zero():
        trainer.save_model(str(out))
        tokenizer.save_pretrained(str(out))
        save_prompt_style(out, cfg.prompt_style, grounded=cfg.grounded)
        cfg.to_yaml(out / "finetune_config.yaml")
        (out / SUMMARY_FILE).write_text(json.dumps(result.summary(), ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    return result


def train_from_yaml(path: str | Path) -> TrainResult:
    return train(FinetuneConfig.from_yaml(path))
