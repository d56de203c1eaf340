"""`qizhen kg ingest|stats|show` on the embedded store under an isolated QIZHEN_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.cli.kg import parse_sources
from kg.sources.caregpt import CareGPTSource
from kg.sources.cmekg import CMeKGSource
from kg.sources.xywy import XywySource

FIX = Path(__file__).parent / "fixtures"
runner = CliRunner()


def test_parse_sources_groups_paths_by_name() -> None:
    sources = parse_sources(["--source", "xywy", str(FIX / "xywy" / "medical_0.json"), str(FIX / "xywy"),
                             "--source=caregpt", str(FIX / "caregpt" / "drug.json")])
    assert [type(s) for s in sources] == [XywySource, CareGPTSource]
    assert isinstance(parse_sources([])[0], CMeKGSource)
    with pytest.raises(ValueError, match="paths follow"):
        parse_sources(["stray.json"])


def test_ingest_json_stats_and_show(qizhen_home: Path) -> None:
    rejects = qizhen_home / "r.jsonl"
    res = runner.invoke(app, ["kg", "ingest", "--source", "xywy", str(FIX / "xywy"), "--source", "jsonl",
                              str(FIX / "jsonl" / "own.jsonl"), "--json", "--rejects", str(rejects)])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)  # exactly one JSON object on stdout
    assert {"nodes", "relationships", "rejected", "seconds", "snapshot"} <= set(summary)
    assert summary["rejected"] == 7 and summary["rejects_path"] == str(rejects) and rejects.exists()
    assert (qizhen_home / "graph").exists()

    res = runner.invoke(app, ["kg", "stats", "--json"])
    assert res.exit_code == 0, res.output
    stats = json.loads(res.stdout)
    assert sum(stats["nodes"].values()) == summary["nodes"]
    assert sum(stats["relationships"].values()) == summary["relationships"]
    assert stats["snapshot"] == summary["snapshot"] and stats["nodes"]["Disease"] >= 4

    res = runner.invoke(app, ["kg", "show", "百日咳", "--json"])
    assert res.exit_code == 0, res.output
    card = json.loads(res.stdout)
    assert card["name"] == "百日咳" and card["type"] == "Disease" and card["sources"] == ["xywy"]
    assert card["properties"]["简介"].startswith("百日咳是")
    assert {x["name"] for x in card["relationships"]["HAS_SYMPTOM"]} == {"痉挛性咳嗽", "低热"}
    assert all(x["dataset"] == "xywy" for x in card["relationships"]["TREATED_BY"])

    res = runner.invoke(app, ["kg", "show", "利可君"])  # by alias, human-readable
    assert res.exit_code == 0 and "利可君片" in res.stdout and "INDICATED_FOR" in res.stdout


def test_show_unknown_name_exits_1_with_message(qizhen_home: Path) -> None:
    runner.invoke(app, ["kg", "ingest", "--source", "jsonl", str(FIX / "jsonl" / "own.jsonl"), "--json"])
    res = runner.invoke(app, ["kg", "show", "没有这个病"])
    assert res.exit_code == 1
    assert "no entity named" in res.stderr and "Traceback" not in res.output


@pytest.mark.parametrize("args, message", [
    (["--source", "nope", "x"], "unknown source"),
    (["--source", "xywy", "/nonexistent/medical_0.json"], "no such file"),
    (["--source", "xywy"], "needs at least one path"),
])
def test_ingest_bad_arguments_are_clear_errors(qizhen_home: Path, args: list[str], message: str) -> None:
    res = runner.invoke(app, ["kg", "ingest", *args, "--json"])
    assert res.exit_code == 1
    assert message in res.stderr and "Traceback" not in res.output
    assert not (qizhen_home / "graph").exists()  # nothing touched


def test_ingest_reset_rebuilds(qizhen_home: Path) -> None:
    own = str(FIX / "jsonl" / "own.jsonl")
    first = json.loads(runner.invoke(app, ["kg", "ingest", "--source", "xywy", str(FIX / "xywy"), "--json"]).stdout)
    res = runner.invoke(app, ["kg", "ingest", "--reset", "--source", "jsonl", own, "--json"])
    after = json.loads(res.stdout)
    assert after["nodes"] < first["nodes"]
    assert json.loads(runner.invoke(app, ["kg", "stats", "--json"]).stdout)["nodes"].get("Food", 0) == 0
