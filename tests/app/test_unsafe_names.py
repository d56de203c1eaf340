"""Issue 12, finding 3: a name with a line break in the graph must not stop `ask` or the service.

The ingest rejects such names (tests/kg/test_sources.py), but a store may predate that check, so
the graph is written here directly, bypassing the sources: jieba's user-dictionary file (one
"word freq tag" line per name) must still be built from the safe names only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from kg.schema import Entity, NodeType
from kg.stores.ladybug import LadybugStore
from tests.app.api_graph import DRUG, build_graph, settings_for

REPO = Path(__file__).resolve().parents[2]
QUESTION = f"{DRUG}的适应症是什么？"
#: a 1M-character name once made the interpreter crash at exit (freeing the name automaton)
BAD_NAMES = ["坏\n名字", "带 空格 的名字", "制表\t符", "回车\r名", "x" * 5000, "药" * 1_000_000]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One graph for both tests: the CLI builds jieba's dictionary file, the service reuses it."""
    home = tmp_path_factory.mktemp("unsafe-names") / "home"
    settings = build_graph(home)
    with LadybugStore(settings.graph_path) as store:
        store.upsert_entities([Entity.named(n, NodeType.DRUG, described=True, sources=["old"]) for n in BAD_NAMES])
    return home


def test_cli_ask_with_a_newline_name_in_the_graph(home: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QIZHEN_HOME": str(home), "QIZHEN_GRAPH": "embedded",
           "QIZHEN_GENERATOR": "extractive", "QIZHEN_DENSE": "false"}
    proc = subprocess.run([sys.executable, "-m", "app.cli", "ask", QUESTION, "--json"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]  # not 139: no crash at exit either
    answer = json.loads(proc.stdout)
    assert answer["grounded"] and "痛风" in answer["answer"]
    dictionaries = list((home / "cache").rglob("jieba-*.txt"))
    assert dictionaries  # the dictionary file was written, with one well-formed entry per line
    for line in dictionaries[0].read_text(encoding="utf-8").splitlines():
        assert len(line.split(" ")) in (2, 3), line


def test_service_starts_with_a_newline_name_in_the_graph(home: Path) -> None:
    with TestClient(create_app(settings_for(home))) as client:
        assert client.get("/health").status_code == 200
        reply = client.post("/ask", json={"question": QUESTION})
        assert reply.status_code == 200 and reply.json()["grounded"]
