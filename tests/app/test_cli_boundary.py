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


def _one_error_line(res) -> str:  # noqa: ANN001 - a click Result
    """The boundary's contract: exit 1, exactly one `error: …` line, no traceback."""
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    lines = [line for line in res.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, res.output
    return errors[0]


def test_store_unavailable_keeps_its_own_message(qizhen_home: Path) -> None:
    """`kg stats` on a home without a graph: the store's StoreUnavailable, printed as itself (not
    re-wrapped by the command into an InvalidInput with a prefix)."""
    line = _one_error_line(runner.invoke(app, ["kg", "stats"]))
    assert "no graph at" in line and "kg ingest" in line


def test_unreadable_source_files_are_clean_errors(qizhen_home: Path, tmp_path: Path) -> None:
    bad_json = tmp_path / "drug.json"
    bad_json.write_text("{not json", encoding="utf-8")
    line = _one_error_line(runner.invoke(app, ["kg", "ingest", "--source", "caregpt", str(bad_json)]))
    assert "not valid JSON" in line
    bad_json.write_text('{"a": 1}', encoding="utf-8")
    assert "expected a JSON list" in _one_error_line(
        runner.invoke(app, ["kg", "ingest", "--source", "caregpt", str(bad_json)]))
    bad_pickle = tmp_path / "cmekg.pkl"
    bad_pickle.write_bytes(b"not a pickle")
    assert "CMeKG pickle" in _one_error_line(
        runner.invoke(app, ["kg", "ingest", "--source", "cmekg", str(bad_pickle)]))


def test_ui_without_streamlit_is_a_clean_error(qizhen_home: Path, monkeypatch) -> None:  # noqa: ANN001
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "streamlit" else real(name, *a))
    assert "Streamlit" in _one_error_line(runner.invoke(app, ["ui"]))
