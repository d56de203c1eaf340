"""`qizhen serve`, `qizhen ui` and `qizhen demo`."""

from __future__ import annotations

import typer

from app.settings import get_settings


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the root app."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="bind address"),
        port: int = typer.Option(8000, help="TCP port"),
        workers: int = typer.Option(1, min=1, help="uvicorn worker processes (each opens the graph read-only)"),
        log_level: str = typer.Option("info", help="uvicorn log level"),
    ) -> None:
        """Run the REST API (POST /ask, /ask/stream, GET /entities, /health, /metrics)."""
        from app.serving import serve as run

        run(host=host, port=port, workers=workers, log_level=log_level)

    @app.command()
    def ui(
        host: str = typer.Option("127.0.0.1", help="bind address"),
        port: int = typer.Option(8501, help="TCP port"),
        api_url: str = typer.Option("", envvar="QIZHEN_API_URL",
                                    help="REST API to talk to (empty: run the QA service in-process)"),
    ) -> None:
        """Run the clinician chat UI (Streamlit)."""
        from app.serving import run_ui

        raise typer.Exit(run_ui(host=host, port=port, api_url=api_url or None))

    @app.command()
    def demo(
        host: str = typer.Option("127.0.0.1", help="bind address for both servers"),
        api_port: int = typer.Option(8000, help="API port"),
        ui_port: int = typer.Option(8501, help="UI port"),
        index: bool = typer.Option(True, "--index/--no-index",
                                   help="build the dense passage index on first run (tens of minutes on a CPU); "
                                        "--no-index answers from the graph alone"),
        fetch: bool = typer.Option(False, "--fetch", help="first fetch the open sources not fetched yet (xywy, "
                                                          "39health, caregpt, atc) and ingest them after CMeKG"),
    ) -> None:
        """Build what is missing (graph, embedder, index) on first run, then run the API and the UI."""
        from app.serving import run_demo

        settings = get_settings() if index else get_settings().model_copy(update={"dense": False})
        raise typer.Exit(run_demo(settings, host=host, api_port=api_port, ui_port=ui_port, echo=typer.echo,
                                  fetch=fetch))
