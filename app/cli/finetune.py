"""`qizhen finetune …` subcommands: build-data, train, merge, config-help."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from app.cli.boundary import fail
from app.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True)


def _open_graph(settings: Settings, graph: str | None):  # noqa: ANN202 - GraphStore
    from kg.stores import open_store

    return open_store(settings, read_only=True, kind=graph)


@app.command("build-data")
def build_data(
    out: Annotated[Path, typer.Option("--out", help="training JSONL (alpaca: instruction, input, output)")],
    grounded: Annotated[bool, typer.Option(help="numbered evidence in `input`, cited answer in `output`")] = False,
    relations: Annotated[list[str] | None, typer.Option(
        "--relations", help="relationship types / properties to ask about (repeatable; default: all)")] = None,
    templates_per_fact: Annotated[int, typer.Option(help="question templates per (entity, relation)")] = 2,
    holdout: Annotated[Path | None, typer.Option(help="file with one entity name a line to keep out")] = None,
    seed: Annotated[int, typer.Option(help="seed for templates and order")] = 0,
    val_ratio: Annotated[float, typer.Option(help="fraction of entities whose questions go to validation")] = 0.02,
    val_out: Annotated[Path | None, typer.Option(help="validation JSONL (default: OUT with .val before the suffix)")] = None,
    limit: Annotated[int | None, typer.Option(help="at most this many records")] = None,
    graph: Annotated[str | None, typer.Option(help="embedded | neo4j (default: QIZHEN_GRAPH)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Generate instruction data from the knowledge graph (QiZhen's KG question templates)."""
    from models.finetune.data import build_data_files

    if holdout is not None and not holdout.is_file():
        raise fail(f"holdout file not found: {holdout}")
    rels = [r for item in relations or [] for r in item.split(",") if r.strip()] or None
    res = build_data_files(_open_graph(get_settings(), graph), out, val_out=val_out, holdout_file=holdout,
                           rel_types=rels, templates_per_fact=templates_per_fact, seed=seed,
                           limit=limit, grounded=grounded, val_ratio=val_ratio)
    summary = {"train": res.train_rows, "val": res.val_rows, "out": str(res.out),
               "val_out": str(res.val_out) if res.val_out else None, **asdict(res.stats)}
    summary["seconds"] = round(summary["seconds"], 2)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        typer.echo(f"{res.train_rows} training and {res.val_rows} validation records from "
                   f"{res.stats.subjects} entities in {summary['seconds']} s → {res.out}"
                   + (f", {res.val_out}" if res.val_out else ""))


@app.command("train")
def train(
    config: Annotated[Path, typer.Argument(help="YAML fine-tuning config (see `qizhen finetune config-help`)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the run summary as JSON")] = False,
) -> None:
    """Train a LoRA adapter (transformers Trainer + peft); works under `accelerate launch`."""
    from models.finetune.train import train_from_yaml

    result = train_from_yaml(config)
    summary = result.summary()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        data = summary["data"]
        typer.echo(f"step {summary['global_step']}: loss {summary['first_loss']} → {summary['last_loss']}, "
                   f"eval_loss {summary['eval_loss']}; {data['examples']} examples "
                   f"({data['truncated']} truncated, {data['dropped']} dropped); adapter in {summary['output_dir']}")


@app.command("merge")
def merge(
    base: Annotated[str, typer.Option("--base", help="base model folder, .gguf file or 'smollm2'")],
    adapter: Annotated[Path, typer.Option("--adapter", help="LoRA adapter folder")],
    out: Annotated[Path, typer.Option("--out", help="merged model folder to write")],
    gguf_file: Annotated[str | None, typer.Option(help="GGUF file name inside --base")] = None,
    dtype: Annotated[str, typer.Option(help="float32 | bfloat16 | float16")] = "float32",
    trust_remote_code: Annotated[bool, typer.Option(help="allow the model's own code (ChatGLM)")] = False,
    overwrite: Annotated[bool, typer.Option(help="replace a non-empty --out")] = False,
) -> None:
    """Merge a LoRA adapter into its base: a standard HF folder for the hf generator and vLLM."""
    from models.finetune.merge import merge_adapter

    res = merge_adapter(base, adapter, out, gguf_file=gguf_file, dtype=dtype,
                        trust_remote_code=trust_remote_code, overwrite=overwrite)
    typer.echo(f"merged model ({res.parameters:,} parameters, prompt style {res.prompt_style}) → {res.out}")


@app.command("config-help")
def config_help() -> None:
    """List every fine-tuning config field with its default and meaning."""
    from models.finetune.config import FinetuneConfig

    typer.echo(FinetuneConfig.help())
