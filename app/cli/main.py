"""The `qizhen` command line. Thin: every subcommand calls one library function."""

from __future__ import annotations

import typer

from app.cli.boundary import BoundaryGroup
from app.cli.data import app as data_app
from app.cli.feedback import app as feedback_app
from app.cli.finetune import app as finetune_app
from app.cli.index import app as index_app
from app.cli.kg import app as kg_app
from app.cli.qa import register as register_qa
from app.cli.serve import register as register_serve

app = typer.Typer(help="QiZhen grounded medical QA over a knowledge graph.", no_args_is_help=True, cls=BoundaryGroup)
app.add_typer(kg_app, name="kg", help="Build and inspect the knowledge graph.")
app.add_typer(data_app, name="data", help="Fetch the open data sources (pinned, verified) and list them.")
app.add_typer(index_app, name="index", help="Build the dense passage index.")
app.add_typer(finetune_app, name="finetune", help="Build instruction data, train and merge LoRA adapters.")
app.add_typer(feedback_app, name="feedback", help="Clinician feedback reported in the UI.")
register_qa(app)  # ask, retrieve, eval
register_serve(app)  # serve, ui, demo


def main() -> None:
    app()


if __name__ == "__main__":
    main()
