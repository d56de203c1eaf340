"""Issue 18, findings 3, 9 and 10: invisible characters make no look-alike node, junk names make no
node at all, and one bad alias drops only that alias."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.pipeline import QAService
from kg.ingest import ingest
from kg.normalize import name_problem, normalize_name
from kg.schema import NodeType
from kg.sources import make_source
from kg.stores.ladybug import LadybugStore
from tests.app.api_graph import DRUG, build_graph, settings_for

ZWSP, BOM, RLO = "\u200b", "\ufeff", "\u202e"


def _lines(*objs: dict[str, object]) -> str:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The small API graph plus a JSONL file of look-alike, junk and bad-alias lines ingested on top."""
    home = tmp_path / "home"
    build_graph(home)
    data = tmp_path / "more.jsonl"
    data.write_text(_lines(
        {"kind": "entity", "name": f"非布司{ZWSP}他片", "type": "Drug", "properties": {"贮藏": "密封保存"}},
        {"kind": "entity", "name": f"{BOM}别嘌醇片{RLO}", "type": "Drug", "aliases": [f"别{ZWSP}嘌醇"]},
        {"kind": "entity", "name": "1", "type": "Drug"},
        {"kind": "relation", "source": "2", "type": "INDICATED_FOR", "target": "痛风"},
        {"kind": "entity", "name": "5-氟尿嘧啶", "type": "Drug", "aliases": ["坏\n别名", "5-FU"]},
    ), encoding="utf-8")
    with LadybugStore(home / "graph") as store:
        summary = ingest(store, [make_source("jsonl", [data])], rejects_path=tmp_path / "rejects.jsonl")
    assert summary.rejected >= 3
    return home


def test_names_normalise_without_format_characters_and_need_a_letter() -> None:
    assert normalize_name(f"非布司{ZWSP}他片") == normalize_name(f"{BOM}非布司他片{RLO}") == normalize_name(DRUG)
    assert name_problem("1") and name_problem("(+)") and name_problem("、")
    assert not any(name_problem(n) for n in ("5-氟尿嘧啶", "维生素B12", "α-干扰素", "ALT", "654-2"))


def test_a_zero_width_variant_merges_into_the_real_drug_and_junk_names_are_rejected(home: Path,
                                                                                     tmp_path: Path) -> None:
    with LadybugStore(home / "graph", read_only=True) as store:
        drugs = store.find_by_name(DRUG, [NodeType.DRUG])
        assert len(drugs) == 1 and drugs[0].name == DRUG  # one node, the visible name
        assert drugs[0].properties.get("贮藏") == "密封保存"  # the look-alike line's facts joined it
        names = {name for _, _, name, _ in store.name_index()}
        assert not any(ch in n for n in names for ch in (ZWSP, BOM, RLO))
        assert "1" not in names and "2" not in names
        fu = store.find_by_name("5-氟尿嘧啶")
        assert fu and "5-FU" in fu[0].aliases and all("\n" not in a for a in fu[0].aliases)
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    reasons = " | ".join(r["reason"] for r in rejects)
    assert "name changed: format characters U+200B removed" in reasons
    assert "no letter or CJK character" in reasons
    assert "alias dropped" in reasons  # the bad alias alone; 5-氟尿嘧啶 and 5-FU stayed
    assert all(r["record"] for r in rejects)  # each with its line


def test_a_question_with_an_invisible_character_answers_the_real_drug(home: Path) -> None:
    service = QAService(settings_for(home))
    answer = service.ask(f"非布{ZWSP}司他片的适应症是什么？")
    assert answer.grounded and answer.entities[0].name == DRUG and "痛风" in answer.answer


def test_kg_audit_lists_the_names_the_ingest_changed(qizhen_home: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    data = tmp_path / "names.jsonl"
    data.write_text(_lines({"kind": "entity", "name": f"布洛{ZWSP}芬片", "type": "Drug"},
                           {"kind": "entity", "name": "3", "type": "Drug"}), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["kg", "ingest", "--source", "jsonl", str(data)]).exit_code == 0
    res = runner.invoke(app, ["kg", "audit", "--json"])
    assert res.exit_code == 0, res.output
    names = json.loads(res.stdout)["names"]
    assert names["format_characters_removed"]["count"] == 1 and names["no_letter"]["count"] == 1
    assert names["no_letter"]["examples"][0]["where"].endswith(":2")  # file and line
    res = runner.invoke(app, ["kg", "audit"])
    assert "names format_characters_removed: 1" in res.stdout
