"""The `qizhen` command line: `main` builds the command tree, `boundary` is its one error boundary,
one module per command group (kg, data, index, finetune, feedback, qa, serve)."""

from app.cli.main import app, main

__all__ = ["app", "main"]
