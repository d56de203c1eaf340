"""`qizhen data …`: fetch the open sources from their pinned origins (or a mirror), list them."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from app.settings import get_settings
from kg.fetch.catalog import FetchOptions, fetch_source, select, status
from kg.fetch.download import ProgressFn

app = typer.Typer(no_args_is_help=True)


@app.command("fetch", help="Download sources (xywy, 39health, caregpt, atc) from their pinned origins, verify every "
                           "file (SHA-256; ATC pages by parsing) and place them under $QIZHEN_HOME/sources/NAME/.")
def fetch_cmd(
    names: Annotated[list[str] | None, typer.Argument(help="sources to fetch")] = None,
    every: bool = typer.Option(False, "--all", help="every source"),
    into: Annotated[Path | None, typer.Option("--dir", help="sources folder (default: $QIZHEN_HOME/sources)")] = None,
    mirror: Annotated[str | None, typer.Option("--from", help="a folder or URL laid out as NAME/FILE "
                                                               "(default: $QIZHEN_DATA_MIRROR)")] = None,
    quiet: bool = typer.Option(False, "--quiet", help="no progress bars"),
) -> None:
    settings = get_settings()
    chosen = select(names or [], every)
    root = into or settings.sources_dir
    opts = FetchOptions(mirror=mirror or settings.data_mirror, timeout_s=settings.fetch_timeout_s)
    with _Bars(enabled=not quiet) as bars:
        for ds in chosen:
            note = " — research use only" if ds.research_only else ""
            typer.echo(f"{ds.name}: {ds.title}; licence {ds.licence}{note}; origin {ds.origin}"
                       + (f"; attribution: {ds.attribution}" if ds.attribution else ""))
            result = fetch_source(ds, root, settings.home_dir / "cache" / "downloads", opts, bars.factory)
            for n in result.notes:
                typer.echo(f"  note: {n}")
            typer.echo(f"  {len(result.fetched)} fetched, {len(result.unchanged)} already verified → {root / ds.name}")


@app.command("list", help="Each source: origin, licence, size, fetched and verified, in the current graph.")
def list_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    settings = get_settings()
    snapshot = _graph_snapshot(settings)
    rows = status(settings.sources_dir, snapshot)
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False))
        return
    typer.echo("cmekg: CMeKG (PyPI package PyCMeKG, MIT) — installed with qizhen, always available")
    for r in rows:
        state = f"fetched {r.verified_at}" if r.fetched else "not fetched"
        graph = ("in the current graph" if r.in_graph else f"ingested into snapshot {r.ingested_snapshot}"
                 if r.ingested_snapshot else "not ingested")
        size = f"{r.size / 1e6:.1f} MB" if r.size else "56 pages"
        typer.echo(f"{r.name}: {r.title}; {r.origin}; licence {r.licence}; {size}; {state}; {graph}")


def _graph_snapshot(settings: object) -> str:
    from kg.stores import open_store
    from kg.stores.base import StoreUnavailable

    try:
        with open_store(settings, read_only=True) as store:  # type: ignore[arg-type]
            return store.snapshot()
    except (StoreUnavailable, OSError, ValueError):
        return ""


class _Bars:
    """One rich progress bar per file (bytes); silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress = None

    def __enter__(self) -> _Bars:
        if self.enabled:
            from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

            self.progress = Progress(*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(),
                                     transient=True)
            self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)

    def factory(self, source: str, name: str, size: int) -> ProgressFn | None:
        progress = self.progress
        if progress is None:
            return None
        task = progress.add_task(f"{source}/{name}", total=size or None)
        return lambda done, total: progress.update(task, completed=done, total=total or None)
