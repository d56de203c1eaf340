"""The cleaning stage: every rule on small fixture graphs, then the whole pass on a real store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from kg.audit import audit
from kg.cleaning import (
    GraphKnowledge,
    Kind,
    clean,
    compute_flags,
    judge_lexicon,
    load_knowledge,
    near_duplicates,
)
from kg.schema import Direction, Entity, NodeType, Relation, RelType
from kg.stores.base import EdgeRow
from kg.stores.ladybug import LadybugStore

FIX = Path(__file__).parent / "fixtures"
IND, AR, CHECK, TREAT = RelType.INDICATED_FOR, RelType.ADVERSE_REACTION, RelType.NEEDS_CHECK, RelType.TREATED_BY


def _edges(subject: str, *targets: str, dataset: str = "cmekg") -> list[EdgeRow]:
    return [EdgeRow(subject, f"id:{t}", dataset, "") for t in targets]


def _named(graph: GraphKnowledge | None, edges: list[EdgeRow]) -> GraphKnowledge:
    graph = graph or GraphKnowledge()
    graph.names.update({e.target_id: e.target_id.removeprefix("id:") for e in edges})
    return graph


def _flags(rel: RelType, edges: list[EdgeRow], graph: GraphKnowledge | None = None) -> dict[str, str]:
    flags = compute_flags(rel, edges, _named(graph, edges))
    return {e.target_id.removeprefix("id:"): f for e, f in zip(edges, flags, strict=True)}


# -- rule 1: lexicon -------------------------------------------------------------------------
def test_lexicon_reasons_on_indications() -> None:
    got = _flags(IND, _edges("司他夫定片", "双盲", "多中心", "随机", "治疗I型HIV感染", "ALT", "尿酸", "丙氨酸",
                             "敏感", "剂量", "感染", "孕妇", "此类患者", "痛风"))
    assert got == {"双盲": "trial_design", "多中心": "trial_design", "随机": "trial_design",
                   "治疗I型HIV感染": "", "ALT": "lab_analyte", "尿酸": "lab_analyte", "丙氨酸": "lab_analyte",
                   "敏感": "generic_word", "剂量": "generic_word", "感染": "generic_word",
                   "孕妇": "generic_word", "此类患者": "generic_word", "痛风": ""}


def test_a_bare_body_part_is_no_indication_or_reaction() -> None:
    assert judge_lexicon(IND, "关节") == "generic_word" and judge_lexicon(AR, "肢体") == "generic_word"
    assert judge_lexicon(IND, "关节炎") == "" and judge_lexicon(AR, "肢体麻木") == ""  # what happens there stays
    assert judge_lexicon(CHECK, "肝脏") == ""  # a fair name for what is examined


def test_lexicon_matches_whole_names_only() -> None:
    assert judge_lexicon(AR, "乳酸脱氢酶") == "lab_analyte"
    assert judge_lexicon(AR, "乳酸脱氢酶升高") == ""
    assert judge_lexicon(AR, "ＡＬＴ") == "lab_analyte"  # normalized: full width, case
    assert judge_lexicon(IND, "双盲试验后") == ""


def test_lexicon_depends_on_the_relationship() -> None:
    # a bare analyte is a fair check, a bare amino acid is not
    assert judge_lexicon(CHECK, "尿酸") == "" and judge_lexicon(CHECK, "丙氨酸") == "lab_analyte"
    # 感染 is too vague as an indication but a real adverse reaction; 孕妇 a real contraindication
    assert judge_lexicon(IND, "感染") == "generic_word" and judge_lexicon(AR, "感染") == ""
    assert judge_lexicon(RelType.CONTRAINDICATED, "孕妇") == ""
    assert judge_lexicon(RelType.CONTRAINDICATED, "双盲") == "trial_design"
    assert judge_lexicon(RelType.IN_DEPARTMENT, "剂量") == ""  # not a judged relationship


def test_amino_acid_checks_are_kept_for_amino_acid_disorders() -> None:
    edges = _edges("id:痛风", "丙氨酸", "血尿酸") + _edges("id:同型胱氨酸尿症", "胱氨酸")
    g = _named(None, edges)
    g.names.update({"id:痛风": "痛风", "id:同型胱氨酸尿症": "同型胱氨酸尿症"})
    assert compute_flags(CHECK, edges, g) == ["lab_analyte", "", ""]


def test_efficacy_phrases_are_not_indications() -> None:
    """CMeKG's 功能主治 puts 清热、化痰、活血止痛 beside the diseases a medicine treats."""
    g = _graph(described={"壮热": Kind.DISEASE})
    got = _flags(IND, _edges("感特灵片", "清热", "化痰", "清肺止咳", "活血止痛", "益气养血", "壮热", "咳嗽", "头痛",
                             "燥咳", "消渴", "中风", "散光"), g)
    assert got == {"清热": "tcm_action", "化痰": "tcm_action", "清肺止咳": "tcm_action", "活血止痛": "tcm_action",
                   "益气养血": "tcm_action",
                   "壮热": "",  # a source describes it as a disease (high fever)
                   "咳嗽": "", "头痛": "", "燥咳": "", "消渴": "", "中风": "", "散光": ""}
    # only indications: the same words elsewhere are judged by their own rules
    assert _flags(AR, _edges("X片", "化痰"))["化痰"] == ""


# -- rule 2: wrong kind, from the graph's own knowledge --------------------------------------
def _graph(described: dict[str, Kind] | None = None, roles: dict[str, set[Kind]] | None = None) -> GraphKnowledge:
    g = GraphKnowledge()
    g.described.update({f"id:{k}": v for k, v in (described or {}).items()})
    for k, v in (roles or {}).items():
        g.roles[f"id:{k}"] = set(v)
    return g


def test_indication_of_another_kind_is_wrong_type() -> None:
    g = _graph(described={"阿司匹林": Kind.DRUG},
               roles={"抗病毒药": {Kind.OTHER}, "肝功能试验": {Kind.CHECK}, "不适症": {Kind.SYMPTOM, Kind.DRUG},
                      "阿司匹林": {Kind.DRUG}, "痛风": {Kind.DISEASE}})
    got = _flags(IND, _edges("X片", "抗病毒药", "肝功能试验", "不适症", "阿司匹林", "痛风", "无人知晓之症"), g)
    assert got == {"抗病毒药": "wrong_type", "肝功能试验": "wrong_type", "阿司匹林": "wrong_type",
                   "不适症": "",  # a symptom somewhere: evidence of the wanted kind wins
                   "痛风": "", "无人知晓之症": ""}  # no evidence at all: kept


def test_treatments_check_descriptions_only_so_herbs_stay() -> None:
    g = _graph(described={"一匹草": Kind.DRUG, "咳嗽": Kind.DISEASE},
               roles={"一匹草": {Kind.DRUG}, "咳嗽": {Kind.DISEASE, Kind.SYMPTOM}, "一碗水": {Kind.DRUG}})
    got = _flags(TREAT, _edges("百日咳", "一匹草", "一碗水", "咳嗽", "安慰剂"), g)
    assert got == {"一匹草": "", "一碗水": "", "咳嗽": "wrong_type", "安慰剂": "trial_design"}


def test_check_described_as_disease_unless_named_like_a_test() -> None:
    g = _graph(described={"皮疹": Kind.DISEASE, "脑电图检查": Kind.DISEASE, "叶酸": Kind.DRUG})
    got = _flags(CHECK, _edges("痛风", "皮疹", "脑电图检查", "叶酸", "血尿酸"), g)
    assert got == {"皮疹": "wrong_type", "脑电图检查": "", "叶酸": "", "血尿酸": ""}


# -- rule 3: near duplicates ------------------------------------------------------------------
def test_near_duplicates_collapse_to_the_more_specific() -> None:
    got = _flags(AR, _edges("非布司他片", "低钾", "低钾血症", "多汗", "多汗症", "腹泻（稀便）", "腹泻", "头痛")
                 + _edges("非布司他片", "高尿酸", dataset="xywy") + _edges("非布司他片", "高尿酸血症"))
    assert got == {"低钾": "near_duplicate", "低钾血症": "", "多汗": "near_duplicate", "多汗症": "",
                   "腹泻（稀便）": "near_duplicate", "腹泻": "", "头痛": "",
                   "高尿酸": "near_duplicate", "高尿酸血症": ""}  # across datasets of one subject


def test_near_duplicates_only_within_one_subject_and_into_usable_items() -> None:
    edges = _edges("A片", "风热咳嗽", "用于风热咳嗽") + _edges("B片", "低钾") + _edges("C片", "低钾血症")
    got = compute_flags(IND, edges, _named(None, edges))
    assert got == ["", "near_duplicate", "", ""]
    # the specific sibling is itself noise: X stays
    assert _flags(IND, _edges("D片", "感染", "感染症")) == {"感染": "generic_word", "感染症": ""}
    assert near_duplicates({"a": "尿酸", "b": "胆固醇"}) == set()


def test_treatments_and_checks_are_not_collapsed() -> None:
    got = _flags(TREAT, _edges("痛风", "双氯芬酸钠缓释片", "双氯芬酸钠缓释片(I)"))
    assert set(got.values()) == {""}
    assert set(_flags(CHECK, _edges("痛风", "血小板计数", "血小板计数（PLT）")).values()) == {""}


# -- the whole pass on a real store --------------------------------------------------------
def _ent(name: str, t: NodeType, described: bool = False) -> Entity:
    return Entity.named(name, t, described=described, sources=["cmekg"])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LadybugStore]:
    with LadybugStore(tmp_path / "graph.lbug") as s:
        ents = {n: _ent(n, t, d) for n, t, d in [
            ("非布司他片", NodeType.DRUG, True), ("痛风", NodeType.DISEASE, True), ("高尿酸血症", NodeType.DISEASE, True),
            ("高尿酸", NodeType.SYMPTOM, False), ("尿酸", NodeType.SYMPTOM, False), ("关节痛", NodeType.SYMPTOM, False),
            ("抑制尿酸生成的制剂", NodeType.CATEGORY, False), ("丙氨酸", NodeType.INGREDIENT, False),
            ("血尿酸", NodeType.CHECK, False), ("双盲", NodeType.SYMPTOM, False)]}
        s.upsert_entities(list(ents.values()))
        i = {n: e.id for n, e in ents.items()}
        s.upsert_relations([
            Relation(i["非布司他片"], IND, i["痛风"], "cmekg", "适应症"),
            Relation(i["非布司他片"], IND, i["高尿酸血症"], "cmekg", "适应症"),
            Relation(i["非布司他片"], IND, i["高尿酸"], "cmekg", "适应症"),
            Relation(i["非布司他片"], IND, i["尿酸"], "cmekg", "适应症"),
            Relation(i["非布司他片"], IND, i["双盲"], "cmekg", "适应症"),
            Relation(i["非布司他片"], IND, i["抑制尿酸生成的制剂"], "cmekg", "适应症"),
            Relation(i["非布司他片"], RelType.IN_CATEGORY, i["抑制尿酸生成的制剂"], "cmekg", "分类"),
            Relation(i["非布司他片"], AR, i["关节痛"], "cmekg", "不良反应"),
            Relation(i["痛风"], RelType.HAS_SYMPTOM, i["关节痛"], "xywy", "symptoms"),
            Relation(i["痛风"], CHECK, i["丙氨酸"], "xywy", "inspect_info"),
            Relation(i["痛风"], CHECK, i["血尿酸"], "xywy", "inspect_info"),
            Relation(i["痛风"], TREAT, i["非布司他片"], "xywy", "common_drug"),
        ])
        yield s


def _drug_flags(store: LadybugStore) -> dict[str, str]:
    [drug] = store.find_by_name("非布司他片")
    return {f.target_name: f.flag for f in store.facts(drug.id, [IND])}


def test_clean_stores_flags_and_is_idempotent(store: LadybugStore) -> None:
    before = store.snapshot()
    summary = clean(store)
    assert summary.flagged == {"INDICATED_FOR": {"lab_analyte": 1, "near_duplicate": 1, "trial_design": 1,
                                                 "wrong_type": 1},
                               "NEEDS_CHECK": {"lab_analyte": 1}}
    assert summary.changed == 5 and summary.judged == 11
    assert _drug_flags(store) == {"痛风": "", "高尿酸血症": "", "高尿酸": "near_duplicate", "尿酸": "lab_analyte",
                                  "双盲": "trial_design", "抑制尿酸生成的制剂": "wrong_type"}
    [gout] = store.find_by_name("痛风")
    incoming = {f.target_name: f.flag for f in store.facts(gout.id, [CHECK], Direction.OUT)}
    assert incoming == {"丙氨酸": "lab_analyte", "血尿酸": ""}
    after = store.snapshot()
    assert after != before  # flags are content
    again = clean(store)
    assert again.changed == 0 and again.flagged == summary.flagged and store.snapshot() == after
    # nothing was deleted
    assert store.stats().relationships["INDICATED_FOR"] == 6


def test_clean_recomputes_when_the_graph_changes(store: LadybugStore) -> None:
    clean(store)
    [drug] = store.find_by_name("非布司他片")
    [high] = store.find_by_name("高尿酸血症")
    # a flag written by hand (or by an older lexicon) is recomputed, and an edge's flag clears
    store.set_flags([Relation(drug.id, IND, high.id, "cmekg", "适应症", "generic_word")])
    assert _drug_flags(store)["高尿酸血症"] == "generic_word"
    assert clean(store).changed == 1
    assert _drug_flags(store)["高尿酸血症"] == ""


def test_load_knowledge_reads_descriptions_and_roles(store: LadybugStore) -> None:
    graph, judged = load_knowledge(store)
    [gout] = store.find_by_name("痛风")
    [pain] = store.find_by_name("关节痛")
    assert graph.described[gout.id] == Kind.DISEASE and pain.id not in graph.described
    assert Kind.SYMPTOM in graph.roles[pain.id] and Kind.DISEASE in graph.roles[gout.id]
    assert {r.value for r in judged} >= {"INDICATED_FOR", "NEEDS_CHECK", "TREATED_BY"}


def test_audit_counts_and_examples(store: LadybugStore) -> None:
    clean(store)
    report = audit(store, examples=3)
    assert report.flagged("INDICATED_FOR") == {"lab_analyte": 1, "near_duplicate": 1, "trial_design": 1,
                                               "wrong_type": 1}
    assert report.totals["INDICATED_FOR"] == 6 and report.totals["NEEDS_CHECK"] == 2
    data = report.as_json()["INDICATED_FOR"]
    assert isinstance(data, dict) and data["usable"] == 2
    assert data["flagged"]["trial_design"]["examples"] == [{"target": "双盲", "edges": 1, "subject": "非布司他片"}]


runner = CliRunner()


def test_cli_ingest_cleans_and_audit_reports(qizhen_home: Path) -> None:
    res = runner.invoke(app, ["kg", "ingest", "--source", "jsonl", str(FIX / "jsonl" / "noise.jsonl"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["cleaning"]["flagged"]["INDICATED_FOR"] == {"trial_design": 1, "lab_analyte": 1}
    res = runner.invoke(app, ["kg", "stats", "--json"])
    assert json.loads(res.stdout)["snapshot"] == out["snapshot"]
    res = runner.invoke(app, ["kg", "clean", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["changed"] == 0
    res = runner.invoke(app, ["kg", "audit", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["INDICATED_FOR"]["edges"] == 3 and report["INDICATED_FOR"]["usable"] == 1
    assert report["INDICATED_FOR"]["flagged"]["lab_analyte"]["examples"][0]["target"] == "ALT"
    res = runner.invoke(app, ["kg", "audit"])
    assert res.exit_code == 0 and "trial_design" in res.stdout and "双盲" in res.stdout
    res = runner.invoke(app, ["kg", "show", "测试药片", "--json"])
    flags = {x["name"]: x["flag"] for x in json.loads(res.stdout)["relationships"]["INDICATED_FOR"]}
    assert flags == {"双盲": "trial_design", "ALT": "lab_analyte", "慢性乙型肝炎": ""}


def test_an_indication_the_drug_own_contraindications_name_is_flagged(tmp_path: Path) -> None:
    """十一酸睾酮软胶囊: indication 乳腺癌 while its 禁忌 reads 前列腺癌、乳腺癌患者及可疑者禁用; a negated
    mention (非缺铁性贫血) and a CONTRAINDICATED edge are judged too."""
    with LadybugStore(tmp_path / "graph.lbug") as s:
        drug = Entity.named("十一酸睾酮软胶囊", NodeType.DRUG, described=True, sources=["caregpt"],
                            properties={"禁忌": "前列腺癌、乳腺癌患者及可疑者禁用。非缺铁性贫血患者禁用。"})
        names = ("乳腺癌", "缺铁性贫血", "再生障碍性贫血", "严重肝病")
        ents = {n: _ent(n, NodeType.DISEASE, True) for n in names}
        s.upsert_entities([drug, *ents.values()])
        s.upsert_relations([Relation(drug.id, IND, ents[n].id, "caregpt", "适应证") for n in names]
                           + [Relation(drug.id, RelType.CONTRAINDICATED, ents["严重肝病"].id, "cmekg", "禁忌")])
        summary = clean(s)
        assert summary.flagged["INDICATED_FOR"] == {"contraindicated_self": 2}
        flags = {f.target_name: f.flag for f in s.facts(drug.id, [IND])}
        assert flags == {"乳腺癌": "contraindicated_self", "缺铁性贫血": "", "再生障碍性贫血": "",
                         "严重肝病": "contraindicated_self"}
        assert audit(s).flagged("INDICATED_FOR") == {"contraindicated_self": 2}
