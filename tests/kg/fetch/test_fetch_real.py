"""Acceptance: every source fetched from a mirror and `kg ingest --all` give the graph that ingesting
../shared/data directly gives (same node and relationship counts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from kg.fetch.manifest import INGEST_ORDER
from kg.ingest import finish_graph, ingest
from kg.sources import SOURCE_NAMES, make_source
from kg.stores.ladybug import LadybugStore

SHARED_PATHS = {"xywy": lambda d: sorted((d / "xywy").glob("medical_*.json")),
                "39health": lambda d: [d / "39health" / "disease.csv"],
                "caregpt": lambda d: [d / "caregpt" / "drug.json"],
                "atc": lambda d: [d / "atc" / "atc_zh.csv"]}


@pytest.mark.slow
@pytest.mark.integration
def test_fetch_all_from_a_mirror_then_ingest_all_equals_a_direct_ingest(qizhen_home: Path, shared_data: Path,
                                                                        tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["data", "fetch", "--all", "--from", str(shared_data), "--quiet"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["kg", "ingest", "--all", "--json"])
    assert res.exit_code == 0, res.output
    fetched = json.loads(res.stdout.strip().splitlines()[-1])
    names = [n for n in INGEST_ORDER if n in SOURCE_NAMES]
    with LadybugStore(tmp_path / "direct" / "graph") as store:
        ingest(store, [make_source("cmekg"), *(make_source(n, [str(p) for p in SHARED_PATHS[n](shared_data)])
                                               for n in names)])
        finish_graph(store)
        direct = store.stats()
    print(f"\nfetched + ingest --all: {fetched['nodes']} nodes, {fetched['relationships']} relationships; "
          f"direct from shared data: {direct.total_nodes} nodes, {direct.total_relationships} relationships")
    assert (fetched["nodes"], fetched["relationships"]) == (direct.total_nodes, direct.total_relationships)
    res = runner.invoke(app, ["data", "list", "--json"])
    assert all(r["in_graph"] for r in json.loads(res.stdout) if r["name"] in names)
