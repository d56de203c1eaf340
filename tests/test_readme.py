"""The README's commands exist as written: every `qizhen …` line names a real command and options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> list[list[str]]:
    out: list[list[str]] = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = part.split("#", 1)[0].strip()
                if part.startswith("qizhen "):
                    out.append(shlex.split(part.replace("[--json]", "--json").replace("…", "x"))[1:])
    return out


COMMANDS = _commands()


def test_readme_has_the_commands() -> None:
    assert len(COMMANDS) >= 15
    assert ["kg", "ingest"] in COMMANDS


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(c)[:60] for c in COMMANDS])
def test_readme_command_parses(argv: list[str]) -> None:
    """Each command resolves to a subcommand whose options accept the README's flags."""
    words = [w for w in argv if not w.startswith("-")]
    flags = {w.split("=")[0] for w in argv if w.startswith("-")}
    path: list[str] = []
    for w in words:  # walk down the command groups as far as they go
        r = CliRunner().invoke(app, [*path, w, "--help"])
        if r.exit_code != 0:
            break
        path.append(w)
    assert path, f"unknown command in README: qizhen {' '.join(argv)}"
    help_text = CliRunner().invoke(app, [*path, "--help"], terminal_width=200).output
    for flag in flags:
        assert flag in help_text, f"`qizhen {' '.join(path)}` has no option {flag}"
