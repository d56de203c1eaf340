"""`qizhen feedback report`: what clinicians reported, for the KG maintainers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.feedback import feedback_report
from app.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("report", help="Facts reported as wrong (by most distinct reporters first) and the 👍/👎 counts; "
             "repeated posts by one reporter count once.")
def report_cmd(
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    audit: Annotated[Path | None, typer.Option("--audit", help="audit file (default: $QIZHEN_HOME/audit.jsonl)")] = None,
) -> None:
    report = feedback_report(audit or get_settings().audit_path)
    if as_json:
        typer.echo(report.model_dump_json())
        return
    typer.echo(f"👍 {report.up}  👎 {report.down}  reports of wrong facts: {report.wrong_fact_reports}  "
               f"({report.reporters} reporters, {report.posts} posts)")
    for f in report.facts:
        typer.echo(f"{f.count:>4}  {f.entity} · {f.field}: {f.text[:80]}  [{f.source}]  ({f.key}; {f.reports} posts)")
        for note in f.notes:
            typer.echo(f"        note: {note}")
