"""The CLI's one error boundary: deliberate errors are one clean line and exit code 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from tests.app.api_graph import build_graph

runner = CliRunner()


def test_missing_hf_model_is_a_clean_error(qizhen_home: Path, monkeypatch) -> None:  # noqa: ANN001
    build_graph(qizhen_home)
    monkeypatch.delenv("QIZHEN_HF_BASE_MODEL", raising=False)
    res = runner.invoke(app, ["ask", "非布司他片的适应症是什么？", "--generator", "hf"])
    assert res.exit_code == 1
    assert "QIZHEN_HF_BASE_MODEL" in res.output and "Traceback" not in res.output
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit)


def test_unknown_generator_and_missing_batch_file(qizhen_home: Path) -> None:
    build_graph(qizhen_home)
    res = runner.invoke(app, ["ask", "痛风吃什么药", "--generator", "nope"])
    assert res.exit_code == 1 and "unknown generator 'nope'" in res.output
    res = runner.invoke(app, ["ask", "--batch", str(qizhen_home / "missing.jsonl")])
    assert res.exit_code == 1 and "does not exist" in res.output


def test_index_status_without_an_index(qizhen_home: Path) -> None:
    res = runner.invoke(app, ["index", "status"])
    assert res.exit_code == 1 and "error:" in res.output and "Traceback" not in res.output
