"""`qizhen kg …` subcommands: ingest, clean, audit, stats, show."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.boundary import fail as _fail
from app.settings import Settings, get_settings
from kg.audit import AuditReport, audit
from kg.class_audit import ClassCoverage, class_coverage
from kg.cleaning import CleanSummary
from kg.drug_classes import ClassSummary
from kg.errors import InvalidInput
from kg.fetch.catalog import all_sources, record_ingested
from kg.ingest import DEFAULT_BATCH_SIZE, IngestSummary, Progress, default_rejects_path, finish_graph, ingest
from kg.name_audit import name_audit
from kg.schema import EntityCard
from kg.sources import SOURCE_NAMES, Source, make_source
from kg.stores import open_store
from kg.stores.base import GraphStore

app = typer.Typer(no_args_is_help=True)

SOURCE_HELP = (
    "Sources: --source NAME PATH… (repeatable; the paths follow the name). NAME is one of "
    f"{', '.join(SOURCE_NAMES)} (jsonl:DATASET records under your own dataset name). "
    "Without --source: CMeKG from the installed PyCMeKG package."
)


def _store(settings: Settings, graph: str | None, read_only: bool = False) -> GraphStore:
    return open_store(settings, read_only=read_only, kind=graph)


def parse_sources(args: list[str]) -> list[Source]:
    """`--source xywy a.json b.json --source caregpt drug.json` → readers, in order."""
    groups: list[tuple[str, list[str]]] = []
    it = iter(args)
    for tok in it:
        if tok == "--source":
            name = next(it, None)
            if name is None or name.startswith("-"):
                raise InvalidInput("--source needs a NAME")
            groups.append((name, []))
        elif tok.startswith("--source="):
            groups.append((tok.split("=", 1)[1], []))
        elif tok.startswith("-"):
            raise InvalidInput(f"unknown option {tok}")
        elif not groups:
            raise InvalidInput(f"unexpected argument {tok!r}: paths follow --source NAME")
        else:
            groups[-1][1].append(tok)
    if not groups:
        groups = [("cmekg", [])]
    return [make_source(name, paths) for name, paths in groups]


class _Bars:
    """One rich progress bar per source, on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self.progress = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=False)

    def __enter__(self) -> _Bars:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, p: Progress) -> None:
        if self.progress is None:
            return
        if p.event == "start":
            self.tasks[p.source] = self.progress.add_task(p.source, total=p.total)
        task = self.tasks[p.source]
        if p.event == "end":
            self.progress.update(task, completed=p.done, total=p.total or p.done)
        else:
            self.progress.update(task, completed=p.done)


@app.command("ingest", context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
             help="Load sources into the graph. " + SOURCE_HELP)
def ingest_cmd(
    ctx: typer.Context,
    graph: str | None = typer.Option(None, "--graph", help="embedded | neo4j (default: QIZHEN_GRAPH)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON summary object on stdout"),
    rejects: Annotated[Path | None, typer.Option("--rejects", help="rejects file (default: $QIZHEN_HOME/rejects/…)")] = None,
    reset: bool = typer.Option(False, "--reset", help="delete the whole graph first"),
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="rows per write batch"),
    every: bool = typer.Option(False, "--all", help="CMeKG, then every source `qizhen data fetch` placed under "
                                                  "$QIZHEN_HOME/sources, in order"),
) -> None:
    settings = get_settings()
    fetched_names: list[str] = []
    if every:
        if ctx.args:
            raise InvalidInput("--all takes no --source: it ingests every fetched source")
        sources, fetched_names, skipped = all_sources(settings.sources_dir)
        for line in skipped:
            typer.echo(f"skip {line}", err=True)
    else:
        sources = parse_sources(list(ctx.args))
    for s in sources:
        s.total()  # fail on missing files before touching the graph
    rejects_path = rejects or default_rejects_path(settings.home_dir)
    with _store(settings, graph) as store, _Bars(enabled=True) as bars:
        if reset:
            store.clear()
        summary = ingest(store, sources, rejects_path=rejects_path, batch_size=batch_size, on_progress=bars)
        cleaned, classes = finish_graph(store)  # cleaning flags, then stem / source drug classes
        if classes.written:  # the pass adds class nodes and edges: the summary counts the graph as left
            stats = store.stats()
            summary.nodes, summary.relationships = stats.total_nodes, stats.total_relationships
        summary.snapshot = store.snapshot()  # flags are content: the snapshot moves with them
    record_ingested(settings.sources_dir, fetched_names, summary.snapshot)
    _print_summary(summary, cleaned, as_json, classes)


def _clean_json(c: CleanSummary) -> dict[str, Any]:
    return {"judged": c.judged, "changed": c.changed, "seconds": c.seconds, "flagged": c.flagged}


def _print_clean(c: CleanSummary) -> None:
    flagged = sum(n for reasons in c.flagged.values() for n in reasons.values())
    typer.echo(f"cleaning: {c.judged} edges judged, {flagged} flagged, {c.changed} flags changed "
               f"({c.seconds:.1f} s); `qizhen kg audit` for details")


def _print_classes(c: ClassSummary) -> None:
    derived = "、".join(f"{k} {v}" for k, v in c.by_derivation.items())
    typer.echo(f"drug classes: {c.drugs} drugs ({derived}); {c.written} edges written, {c.flagged} flags changed "
               f"({c.seconds:.1f} s)")


def _print_summary(summary: IngestSummary, cleaned: CleanSummary, as_json: bool, classes: ClassSummary) -> None:
    if as_json:
        typer.echo(json.dumps({**summary.brief(), "cleaning": _clean_json(cleaned), "classes": asdict(classes)},
                              ensure_ascii=False))
        return
    _print_clean(cleaned)
    _print_classes(classes)
    for s in summary.sources:
        typer.echo(f"{s.source}: {s.records} records, {s.entities} entity rows, {s.relations} relation rows, "
                   f"{s.rejected} rejected, {s.seconds:.1f} s")
    typer.echo(f"graph: {summary.nodes} nodes, {summary.relationships} relationships, snapshot {summary.snapshot} "
               f"({summary.seconds:.1f} s)")
    if summary.rejected:
        typer.echo(f"{summary.rejected} records rejected, see {summary.rejects_path}")


@app.command("clean", help="Recompute the cleaning flags and the derived drug classes of the whole graph "
                           "(also run by every ingest).")
def clean_cmd(
    graph: str | None = typer.Option(None, "--graph", help="embedded | neo4j"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    with _store(get_settings(), graph) as store:
        cleaned, classes = finish_graph(store)
    if as_json:
        typer.echo(json.dumps({**_clean_json(cleaned), "classes": asdict(classes)}, ensure_ascii=False))
    else:
        _print_clean(cleaned)
        _print_classes(classes)


@app.command("audit", help="Flagged facts per relationship type and reason, with examples; drug class coverage.")
def audit_cmd(
    graph: str | None = typer.Option(None, "--graph", help="embedded | neo4j"),
    as_json: bool = typer.Option(False, "--json"),
    examples: int = typer.Option(5, "--examples", min=0, help="flagged targets shown per reason"),
) -> None:
    settings = get_settings()
    with _store(settings, graph, read_only=True) as store:
        report = audit(store, examples=examples)
        coverage = class_coverage(store, examples=max(examples, 20))
    names = name_audit(settings.home_dir / "rejects", examples=examples)
    if as_json:
        typer.echo(json.dumps({**report.as_json(), "drug_classes": coverage.as_json(), "names": names.as_json()},
                              ensure_ascii=False))
        return
    _print_audit(report)
    _print_coverage(coverage)
    for kind, data in names.as_json().items():
        assert isinstance(data, dict)
        shown = "、".join(f"{e['name']} ({e['where']})" for e in data["examples"])
        typer.echo(f"names {kind}: {data['count']}{'  e.g. ' + shown if shown else ''}")


def _print_coverage(c: ClassCoverage) -> None:
    derived = "、".join(f"{k} {v}" for k, v in c.by_derivation.items())
    typer.echo(f"drug classes: {c.drugs} drug nodes — " + "、".join(f"{k} {v}" for k, v in c.kinds.items()))
    typer.echo(f"  Western single-ingredient with a generic name: {c.classified}/{c.denominator} have a class "
               f"({c.coverage:.1%}; {derived}); without stem-only Western nodes {c.strict_classified}/"
               f"{c.strict_denominator} ({c.strict_coverage:.1%})")
    typer.echo(f"  left out: {c.combinations} combinations ({c.two_substance} named as two substances side by side), "
               f"{c.no_generic} without a generic name; "
               f"TCM patent medicines marked 中成药: {c.tcm_marked}")
    if c.unclassified:
        typer.echo(f"  without a class, e.g.: {'、'.join(c.unclassified)}")


def _print_audit(report: AuditReport) -> None:
    typer.echo(f"{'relation':<18}{'edges':>9}{'usable':>9}  flagged by reason")
    for rel, data in report.as_json().items():
        assert isinstance(data, dict)
        flagged = data["flagged"]
        reasons = "  ".join(f"{r} {v['edges']}" for r, v in flagged.items()) or "-"
        typer.echo(f"{rel:<18}{data['edges']:>9}{data['usable']:>9}  {reasons}")
        for r, v in flagged.items():
            shown = "、".join(f"{e['target']}({e['edges']}, e.g. {e['subject']})" for e in v["examples"])
            typer.echo(f"    {r}: {shown}")


@app.command("stats", help="Node counts per label and relationship counts per type.")
def stats_cmd(
    graph: str | None = typer.Option(None, "--graph", help="embedded | neo4j"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    with _store(get_settings(), graph, read_only=True) as store:
        stats = store.stats()
    if as_json:
        typer.echo(json.dumps({"nodes": stats.nodes, "relationships": stats.relationships,
                               "snapshot": stats.snapshot}, ensure_ascii=False))
        return
    typer.echo(f"snapshot {stats.snapshot}")
    typer.echo(f"nodes: {stats.total_nodes}")
    for k, v in sorted(stats.nodes.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {k:<14}{v:>10}")
    typer.echo(f"relationships: {stats.total_relationships}")
    for k, v in sorted(stats.relationships.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {k:<18}{v:>10}")


def card_json(card: EntityCard) -> dict[str, Any]:
    """The entity card as plain JSON: entity fields, then relationships grouped by type."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, facts in card.grouped().items():
        groups[key] = [{"id": f.target_id, "name": f.target_name, "type": f.target_type.value,
                        "dataset": f.dataset, "predicate": f.predicate, "flag": f.flag} for f in facts]
    return {**asdict(card.entity), "relationships": groups}


@app.command("show", help="The entity card of NAME: properties, aliases, sources, relationships by type.")
def show_cmd(
    name: str = typer.Argument(..., help="entity name or alias"),
    graph: str | None = typer.Option(None, "--graph", help="embedded | neo4j"),
    as_json: bool = typer.Option(False, "--json"),
    text_chars: int = typer.Option(300, "--text-chars", help="truncate long texts (not with --json); 0 = full"),
) -> None:
    from app.cards import build_card, load_card
    from retrieval.evidence.ranking import adverse_prevalence

    with _store(get_settings(), graph, read_only=True) as store:
        found = store.find_by_name(name)
        card = load_card(store, found[0].id) if found else None
        prevalence = adverse_prevalence(store) if card is not None else None
    if card is None:
        raise _fail(f"no entity named {name!r} in the graph (try `qizhen kg stats` to see whether it is built)")
    data = card_json(card)
    view = build_card(card, prevalence)
    if as_json:  # the raw fields, plus the clinician layout (summary, sections in order) the UI shows
        layout = view.model_dump(include={"type_label", "summary", "sections", "more"})
        typer.echo(json.dumps({**data, **layout}, ensure_ascii=False))
        return
    _print_view(view, text_chars)
    _print_card(data, text_chars)


def _clip(text: str, n: int) -> str:
    return text if n <= 0 or len(text) <= n else text[:n] + "…"


def _print_view(view: Any, text_chars: int) -> None:
    """The card as the UI shows it: summary table, then the monograph sections with counts, each value's
    support label (多来源一致 / 药品手册 / 单一来源·…) and the missing text of an empty section."""
    from app.card_trust import CONFLICT, LOW_TRUST, flag_words

    def values(row: Any) -> str:
        text = "、".join(f"{v.text}〔{v.support}〕" if v.support else v.text for v in row.values)
        return (f"{CONFLICT}: " if row.disagree else "") + _clip(text, text_chars)

    e = view.entity
    typer.secho(f"{view.heading}: {e.name}  [{view.type_label}]  {e.id}  {'、'.join(view.source_labels)}", bold=True)
    for row in view.summary:
        typer.echo(f"  {row.label}: {values(row) or '知识库未收录'}")
    for sec in view.sections:
        typer.secho(f"{sec.title} ({sec.total})" + (f"〔{sec.support}〕" if sec.support else ""), bold=True)
        if sec.items:
            typer.echo("  " + _clip("、".join(i.name for i in sec.items), text_chars))
        for v in sec.texts:
            typer.echo("  " + _clip(v.text, text_chars))
        for row in sec.parts:
            typer.echo(f"  {row.label}: {values(row) or sec.empty_text or '知识库未收录'}")
        if sec.empty_text and not sec.parts:
            typer.echo(f"  {sec.empty_text}")
        if sec.low_confidence:
            typer.echo(f"  {LOW_TRUST}: {'、'.join(f'{i.name}（{flag_words(i.flag)}）' for i in sec.low_confidence)}")
    typer.echo("")


def _print_card(data: dict[str, Any], text_chars: int) -> None:
    typer.secho("raw record:", bold=True)
    typer.secho(f"{data['name']}  [{data['type']}]  {data['id']}", bold=True)
    typer.echo(f"sources: {', '.join(data['sources'])}")
    if data["aliases"]:
        typer.echo(f"aliases: {_clip('、'.join(data['aliases']), text_chars)}")
    for key, value in data["properties"].items():
        text = value if isinstance(value, str) else "；".join(value)
        typer.echo(f"{key}: {_clip(text, text_chars)}")
    for rel, items in data["relationships"].items():
        by_name: dict[str, list[str]] = {}
        for it in items:
            by_name.setdefault(it["name"], [])
            if it["dataset"] not in by_name[it["name"]]:
                by_name[it["name"]].append(it["dataset"])
        typer.secho(f"{rel} ({len(by_name)})", bold=True)
        typer.echo("  " + "、".join(f"{n} [{','.join(ds)}]" for n, ds in by_name.items()))
