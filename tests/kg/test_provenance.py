"""Provenance recorded at ingest (which dataset and source field wrote each property, per-source
values when datasets disagree) and the scraped-text cleaning of kg.text."""

from __future__ import annotations

import json
from pathlib import Path

from kg.ingest import ingest
from kg.schema import Entity, NodeType, PropSource, provenance
from kg.sources.health39 import Health39Source
from kg.sources.jsonl import JsonlSource
from kg.sources.xywy import XywySource
from kg.stores.ladybug import LadybugStore
from kg.text import clean_fee, clean_text
from retrieval.evidence import property_evidence


def _d(dataset: str, **props: str | list[str]) -> Entity:
    e = Entity.named("非布司他片", NodeType.DRUG, described=True, sources=[dataset], properties=dict(props))
    e.property_sources = provenance(e.properties, dataset)
    return e


def test_provenance_helper_records_dataset_and_field() -> None:
    got = provenance({"简介": "x", "病因": "y"}, "xywy", {"简介": "gaishu_info.desc"})
    assert got == {"简介": [PropSource("xywy", "gaishu_info.desc")], "病因": [PropSource("xywy", "病因")]}


def test_merge_unions_sources_and_keeps_both_values_on_conflict() -> None:
    a = _d("cmekg", 药品监管分级="麻醉药品", 用法用量="口服，一次40mg")
    b = _d("jsonl", 药品监管分级="处方药", 用法用量="口服，一次40mg", 简介="抑制尿酸生成")
    m = a.merge(b)
    assert m.property_sources == b.merge(a).property_sources  # order-independent
    assert m.datasets_of("药品监管分级") == ["cmekg", "jsonl"]
    assert m.conflicts() == {"药品监管分级": [PropSource("cmekg", "药品监管分级", "麻醉药品"),
                                             PropSource("jsonl", "药品监管分级", "处方药")]}
    assert m.property_sources["用法用量"] == [PropSource("cmekg", "用法用量"), PropSource("jsonl", "用法用量")]
    assert m.datasets_of("简介") == ["jsonl"] and m.datasets_of("不存在") == []
    # a third source that agrees with one side adds itself to that value
    c = _d("caregpt", 药品监管分级="处方药")
    m3 = m.merge(c)
    assert m3.conflicts()["药品监管分级"] == [PropSource("caregpt", "药品监管分级", "处方药"),
                                              PropSource("cmekg", "药品监管分级", "麻醉药品"),
                                              PropSource("jsonl", "药品监管分级", "处方药")]
    assert m3.property_sources == c.merge(b).merge(a).property_sources


def test_long_texts_keep_sources_without_values() -> None:
    a, b = _d("xywy", 病因="甲" * 200), _d("cmekg", 病因="乙" * 200)
    m = a.merge(b)
    assert m.conflicts() == {} and m.datasets_of("病因") == ["cmekg", "xywy"]


XYWY = {"1": {"gaishu_info": {"name": "测试病", "desc": "第一句话说明病情。、第二句。第一句话说明病情。",
                              "treat_cost": "根据不同医院，收费标准不一致，市三甲医院约（1000――4000元）"},
              "cause_info": "病因文本"}}
CSV = ("name,alias,part,age,infection,insurance,department,checklist,symptom,complication,treatment,drug,"
       "period,rate,money\r\n测试病,测试病别名,全身,,,,,,,,,,,,市三甲医院约（3000 —— 8000元）;\r\n")


def _ingest(tmp_path: Path) -> LadybugStore:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "medical_0.json").write_text(json.dumps(XYWY, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "disease.csv").write_bytes(CSV.encode("gb18030"))
    (tmp_path / "own.jsonl").write_text(json.dumps(
        {"kind": "entity", "name": "测试病", "type": "Disease", "properties": {"病因": "病因文本"}},
        ensure_ascii=False) + "\n", encoding="utf-8")
    store = LadybugStore(tmp_path / "graph.lbug")
    ingest(store, [XywySource([tmp_path / "x"]), Health39Source([tmp_path / "disease.csv"]),
                   JsonlSource([tmp_path / "own.jsonl"], dataset="my-hospital")])
    return store


def test_ingest_records_source_fields_and_conflicts(tmp_path: Path) -> None:
    with _ingest(tmp_path) as store:
        [e] = store.find_by_name("测试病")
        assert e.property_sources["简介"] == [PropSource("xywy", "gaishu_info.desc")]
        assert e.datasets_of("病因") == ["my-hospital", "xywy"]  # agreeing sources: no values
        assert e.property_sources["病因"] == [PropSource("my-hospital", "病因"), PropSource("xywy", "cause_info")]
        # the scraped texts were cleaned; the two fee lines still disagree and keep their sources
        assert e.properties["简介"] == "第一句话说明病情。第二句。"
        assert e.conflicts() == {"治疗费用": [PropSource("39health", "money", "市三甲医院约（3000-8000元）"),
                                              PropSource("xywy", "gaishu_info.treat_cost", "市三甲医院约（1000-4000元）")]}
        # retrieval cites the recorded provenance, not a guess from the key name
        [ev] = property_evidence(e, ["病因"])
        assert ev.source == "my-hospital,xywy"
        [ev] = property_evidence(e, ["治疗费用"])
        assert ev.source == "39health,xywy"


def test_evidence_falls_back_to_the_old_guess_without_provenance() -> None:
    e = Entity.named("旧病", NodeType.DISEASE, sources=["cmekg", "xywy"], properties={"简介": "旧图谱"})
    [ev] = property_evidence(e, ["简介"])
    assert ev.source == "xywy"


def test_clean_text_fixes_joins_repeats_and_blanks() -> None:
    assert clean_text("如红薯、洋葱、芋头。、") == "如红薯、洋葱、芋头。"
    assert clean_text("注意保暖。、\n5.如需口服") == "注意保暖。\n5.如需口服"
    assert clean_text("产生临床表现的原因。其他。产生临床表现的原因。\r\n\r\n\t目前") == "产生临床表现的原因。其他。\n\n目前"
    assert clean_text("短句。短句。") == "短句。短句。"  # short pieces may repeat
    assert clean_text("a  b\t\tc") == "a b c"


def test_clean_fee_normalizes_three_spellings() -> None:
    want = "市三甲医院约（5000-8000元）"
    assert clean_fee("根据不同医院，收费标准不一致，市三甲医院约（5000――8000元）") == want
    assert clean_fee("根据不同病情，不同医院，收费标准不一致，市三甲医院约（5000-8000元）") == want
    assert clean_fee("市三甲医院约（5000 —— 8000元）;") == want
