"""`qizhen ask`, `qizhen retrieve` and `qizhen eval …`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from app.cli.boundary import fail
from app.settings import get_settings

eval_app = typer.Typer(no_args_is_help=True, help="Score answers with the seed's three standards.")


def _service():  # noqa: ANN202 - imported lazily so `qizhen --help` stays fast
    from app.pipeline import QAService

    return QAService(get_settings())


def ask(
    question: Annotated[str | None, typer.Argument(help="the question (omit with --batch)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the answer object as JSON")] = False,
    batch: Annotated[Path | None, typer.Option(help="JSONL of {question, history}")] = None,
    out: Annotated[Path | None, typer.Option(help="JSONL output for --batch (default: stdout)")] = None,
    history: Annotated[list[str] | None, typer.Option("--history", "-H", help="an earlier user turn (repeat)")] = None,
    generator: Annotated[str | None, typer.Option(help="extractive | hf | openai")] = None,
    top_k: Annotated[int | None, typer.Option(help="number of evidence items")] = None,
) -> None:
    """Answer a question from the knowledge graph, citing every fact."""
    from app.batch import run_batch

    if (question is None) == (batch is None):
        raise fail("give a question or --batch FILE (not both)")
    service = _service()
    if batch is not None:
        n = run_batch(service, batch, out, generator=generator, top_k=top_k)
        typer.secho(f"answered {n} questions", err=True)
        return
    answer = service.ask(question or "", history or [], generator=generator, top_k=top_k)
    if as_json:
        sys.stdout.write(answer.model_dump_json() + "\n")
        return
    typer.echo(answer.answer)
    for c in answer.citations:
        typer.secho(f"[{c.index}] {c.text}  ({c.source})", fg="cyan")
    if not answer.grounded:
        typer.secho("（未找到有依据的答案）", fg="yellow")


def retrieve(
    question: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    history: Annotated[list[str] | None, typer.Option("--history", "-H")] = None,
    top_k: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Show the linked entities, intent and ranked evidence for a question."""
    result = _service().retrieve(question, history or [], top_k=top_k)
    if as_json:
        sys.stdout.write(result.model_dump_json() + "\n")
        return
    for e in result.entities:
        typer.echo(f"entity  {e.name} [{e.type}] score={e.score} via {e.method} ({e.mention})")
    typer.echo(f"intent  {result.intent.name} ({result.intent.method}, {result.intent.score})")
    for ev in result.evidence:
        typer.echo(f"[{ev.index}] ({ev.origin}/{ev.source}) {ev.text[:160]}")


def _run_eval(kind: str, file: Path, as_json: bool, generator: str | None, report: Path | None,
              details: Path | None) -> None:
    from app.evaluation import evaluate, load_disease_cases, load_drug_cases, report_markdown

    if not file.exists():
        raise fail(f"{file} does not exist")
    cases = load_drug_cases(file) if kind == "drug" else load_disease_cases(file)
    sink = details.open("w", encoding="utf-8") if details else None

    def on_case(case, answer, hit):  # noqa: ANN001, ANN202
        if sink:
            sink.write(json.dumps({"question": case.question, "kind": case.kind, "references": case.references,
                                   "hit": hit, "answer": answer.answer}, ensure_ascii=False) + "\n")

    service = _service()
    scores = evaluate(service, cases, generator=generator, on_case=on_case)
    if sink:
        sink.close()
    gen = generator or service.settings.generator
    if kind == "drug":
        payload = scores["overall"].model_dump()
    else:
        payload = {**scores["overall"].model_dump(), **{k: v.model_dump() for k, v in scores.items()}}
    if report:
        title = "Drug indications" if kind == "drug" else "Disease questions"
        report.write_text(report_markdown(title, scores if kind != "drug" else {"drug": scores["overall"]}, gen),
                          encoding="utf-8")
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    else:
        for k, v in scores.items():
            typer.echo(f"{k}: n={v.n} standard1={v.standard1}% standard2={v.standard2}% standard3={v.standard3}%")


@eval_app.command("drug-indications")
def eval_drugs(
    file: Path,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    generator: Annotated[str | None, typer.Option()] = None,
    report: Annotated[Path | None, typer.Option(help="write a Markdown table beside QiZhen's numbers")] = None,
    details: Annotated[Path | None, typer.Option(help="JSONL of every question, answer and hit")] = None,
) -> None:
    """CSV with 药品, 药品适应症, 医学专家标注的适应病症 (|-separated), instruction."""
    _run_eval("drug", file, as_json, generator, report, details)


@eval_app.command("disease")
def eval_disease(
    file: Path,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    generator: Annotated[str | None, typer.Option()] = None,
    report: Annotated[Path | None, typer.Option()] = None,
    details: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """JSONL with disease, type (治疗药物|检查检验|临床表现), question, reference."""
    _run_eval("disease", file, as_json, generator, report, details)


def register(app: typer.Typer) -> None:
    app.command()(ask)
    app.command()(retrieve)
    app.add_typer(eval_app, name="eval")
