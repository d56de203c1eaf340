"""The CLI's one error boundary: every `qizhen` command runs inside it.

Errors raised on purpose (`kg.errors.QizhenError`), files that cannot be read or written (OSError)
and a missing optional extra (ImportError, whose message names the extra) become one red
`error: …` line and exit code 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from kg.errors import InvalidInput, QizhenError

#: what the boundary turns into a clean message
EXPECTED: tuple[type[BaseException], ...] = (QizhenError, OSError, ImportError)


def fail(message: str) -> QizhenError:
    """An error for a command to raise: `raise fail("…")` (the boundary prints it)."""
    return InvalidInput(message)


class BoundaryGroup(TyperGroup):
    """The root command group; subgroups and commands are invoked inside its `invoke`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EXPECTED as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(code=1) from None
