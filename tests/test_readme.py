"""The README's commands exist as written: every `qizhen …` line names a real command and options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

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
    """Each command resolves to a subcommand whose options include the README's flags."""
    import typer

    cmd = typer.main.get_command(app)  # typer ships its own click: groups are told by `.commands`
    for word in argv:
        group = getattr(cmd, "commands", None)
        if word.startswith("-") or group is None:
            break
        assert word in group, f"unknown command {word!r} in README: qizhen {' '.join(argv)}"
        cmd = group[word]
    assert getattr(cmd, "commands", None) is None, f"README names a command group, not a command: {argv}"
    known = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}
    if (cmd.context_settings or {}).get("allow_extra_args"):  # parsed by the command itself (kg ingest)
        known |= set(re.findall(r"--[a-z][a-z-]*", cmd.help or ""))
    for flag in (w.split("=")[0] for w in argv if w.startswith("-")):
        assert flag in known, f"`qizhen {' '.join(argv)}`: no option {flag}"


def test_ci_runs_the_readme_test_command_in_a_fresh_venv() -> None:
    """`.ci/run` reads the README's test command (so they cannot drift apart) and runs it in a
    virtual environment it creates on every run (so CI installs what a new user installs)."""
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("readme_test_command", root / ".ci" / "readme_test_command.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    command = module.test_command(README)
    assert command.endswith(" && python -m pytest") and 'pip install -e ".[dev]"' in command
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert ".ci/readme_test_command.py" in ci and "-m venv" in ci and "python -m pytest" in ci
