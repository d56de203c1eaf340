"""`qizhen ask/retrieve/eval` as a user runs them (subprocess), over a small real graph."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.api_graph import build_graph

CONTRACT = {"answer", "grounded", "intent", "entities", "citations", "snapshot", "timings_ms"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = Path(tmp_path_factory.mktemp("home"))
    build_graph(home)
    return {**os.environ, "QIZHEN_HOME": str(home), "QIZHEN_DENSE": "false", "HF_HUB_OFFLINE": "1"}


def qizhen(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_ask_json_contract(env: dict[str, str]) -> None:
    r = qizhen(env, "ask", "非布司他片的适应症是什么？", "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert CONTRACT <= obj.keys()
    assert obj["grounded"] is True and obj["intent"] == "indication"
    assert {"id", "name", "type"} <= obj["entities"][0].keys()
    c = obj["citations"][0]
    assert {"index", "entity", "entity_type", "field", "text", "source"} <= c.keys()


def test_ask_batch_keeps_order_and_history(env: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [{"question": "非布司他片的适应症是什么？"}, {"question": "有什么副作用", "history": ["非布司他片的适应症是什么？"]},
             {"question": "今天天气怎么样"}]
    src.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines) + "not json\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = qizhen(env, "ask", "--batch", str(src), "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4
    assert rows[0]["intent"] == "indication" and rows[1]["intent"] == "adverse_reaction"
    assert rows[1]["entities"][0]["name"] == "非布司他片"
    assert rows[2]["grounded"] is False
    assert rows[3]["error"] == "invalid_line" and rows[3]["line"] == 4


def test_retrieve_json(env: dict[str, str]) -> None:
    r = qizhen(env, "retrieve", "痛风需要做哪些检查", "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["intent"]["name"] == "check" and obj["evidence"][0]["field"] == "NEEDS_CHECK"


def test_eval_drug_indications(env: dict[str, str], tmp_path: Path) -> None:
    f = tmp_path / "eval.csv"
    f.write_text("药品,药品适应症,医学专家标注的适应病症,instruction\n非布司他片,,痛风|高尿酸血症|糖尿病,x\n",
                 encoding="utf-8")
    report = tmp_path / "report.md"
    r = qizhen(env, "eval", "drug-indications", str(f), "--json", "--report", str(report))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"n": 1, "standard1": 100.0, "standard2": 100.0, "standard3": 100.0}
    assert "QiZhen-Checkpoint-6000" in report.read_text(encoding="utf-8")


def test_ask_without_graph_fails_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "QIZHEN_HOME": str(tmp_path / "empty"), "QIZHEN_DENSE": "false"}
    r = qizhen(env, "ask", "非布司他片的适应症是什么？", "--json")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
