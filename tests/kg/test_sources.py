"""Dataset readers: mapping, rejects, name resolution — on small hand-written fixtures."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from kg.normalize import core_name, normalize_name
from kg.schema import Entity, NameEntry, NodeType, Relation, RelType, entity_id
from kg.sources import make_source
from kg.sources.base import KnownNames, NameScreen, Reject, SourceRecord, strip_detail
from kg.sources.caregpt import CareGPTSource, parse_entry
from kg.sources.cmekg import ALIAS_PREDICATES, CMeKGSource, classify, load_pickle
from kg.sources.health39 import TRUNCATED_KEY, Health39Source
from kg.sources.jsonl import JsonlSource
from kg.sources.xywy import XywySource

FIX = Path(__file__).parent / "fixtures"


def _collect(items: list[SourceRecord | Reject]) -> tuple[dict[str, Entity], list[Relation], list[Reject]]:
    ents: dict[str, Entity] = {}
    rels: list[Relation] = []
    rejects: list[Reject] = []
    for it in items:
        if isinstance(it, Reject):
            rejects.append(it)
            continue
        for e in it.entities:
            ents[e.id] = ents[e.id].merge(e) if e.id in ents else e
        rels.extend(it.relations)
    return ents, rels, rejects


def _ent(ents: dict[str, Entity], name: str) -> Entity:
    return ents[entity_id(name)]


def _targets(rels: list[Relation], ents: dict[str, Entity], src: str, rel: RelType) -> set[str]:
    return {ents[r.target_id].name for r in rels if r.source_id == entity_id(src) and r.type == rel}


# -- CMeKG --------------------------------------------------------------------------------------

CMEKG = {
    "非布司他片": {
        "适应症": ["痛风", "高尿酸血症", "剂量"],
        "不良反应": ["肝功能异常", "恶心", "肝功能异常"],
        "商品名": ["优立通"],
        "英文名": ["Febuxostat Tablets"],
        "用法用量": ["口服，一次40mg，一日1次。"],
        "成份": ["非布司他"],
        "分类": ["抗痛风药"],
        "OTC类型": ["处方药"],
        "禁忌": ["正在接受硫唑嘌呤治疗的患者禁用本品，因为可能导致骨髓抑制。"],
        "奇怪谓词": ["某术语"],
    },
    "痛风": {
        "常见症状": ["关节痛", "关节红肿"],
        "就诊科室": ["风湿免疫科"],
        "相关药物": ["非布司他片", "秋水仙碱片"],
        "ICD10": ["M10"],
        "并发症": ["肾结石"],
        "常见病因": ["嘌呤代谢紊乱"],
        "治疗": ["低嘌呤饮食"],
        "检查": ["血尿酸"],
    },
    "秋水仙碱片": {"适应症": ["痛风"], "药品类型": ["化学药品"]},
    "盐酸二甲双胍片": {"适应症": ["2型糖尿病"]},
    "二甲双胍缓释片": {"适应症": ["2型糖尿病"]},
    "红参": {"功效": ["大补元气"], "性味": ["甘"], "入药部位": ["根"], "科": ["五加科"]},
    "血尿酸测定": {"相关疾病": ["痛风"], "所属分类": ["生化检查"]},
}


@pytest.fixture
def cmekg(tmp_path: Path) -> tuple[dict[str, Entity], list[Relation], list[Reject]]:
    path = tmp_path / "cmekg.pkl"
    path.write_bytes(pickle.dumps(CMEKG))
    return _collect(list(CMeKGSource(path).read()))


def test_cmekg_classifies_subjects(cmekg) -> None:
    ents, _, rejects = cmekg
    assert not rejects
    assert _ent(ents, "非布司他片").type == NodeType.DRUG
    assert _ent(ents, "痛风").type == NodeType.DISEASE
    assert _ent(ents, "红参").type == NodeType.DRUG  # herb
    assert _ent(ents, "血尿酸测定").type == NodeType.CHECK
    assert all(_ent(ents, n).described for n in CMEKG)
    assert classify({"界": ["植物界"]}) == NodeType.CONCEPT


def test_cmekg_relations_keep_predicate_and_target_types(cmekg) -> None:
    ents, rels, _ = cmekg
    ind = {(ents[r.target_id].name, r.predicate) for r in rels
           if r.source_id == entity_id("非布司他片") and r.type == RelType.INDICATED_FOR}
    assert ("痛风", "适应症") in ind and ("高尿酸血症", "适应症") in ind
    assert _ent(ents, "痛风").type == NodeType.DISEASE  # known disease subject
    assert _ent(ents, "高尿酸血症").type == NodeType.SYMPTOM and not _ent(ents, "高尿酸血症").described
    assert _targets(rels, ents, "非布司他片", RelType.ADVERSE_REACTION) == {"肝功能异常", "恶心"}
    assert _targets(rels, ents, "非布司他片", RelType.HAS_INGREDIENT) == {"非布司他"}
    assert _targets(rels, ents, "非布司他片", RelType.IN_CATEGORY) == {"抗痛风药"}
    assert _targets(rels, ents, "痛风", RelType.HAS_SYMPTOM) == {"关节痛", "关节红肿"}
    assert _targets(rels, ents, "痛风", RelType.TREATED_BY) == {"非布司他片", "秋水仙碱片"}
    assert _targets(rels, ents, "痛风", RelType.IN_DEPARTMENT) == {"风湿免疫科"}
    assert _targets(rels, ents, "痛风", RelType.COMPLICATION) == {"肾结石"}
    assert _targets(rels, ents, "痛风", RelType.HAS_CAUSE) == {"嘌呤代谢紊乱"}
    assert _targets(rels, ents, "痛风", RelType.NEEDS_CHECK) == {"血尿酸"}
    # 治疗 on a disease lists procedures: RELATED_TO a Concept, predicate kept
    [proc] = [r for r in rels if r.source_id == entity_id("痛风") and r.predicate == "治疗"]
    assert proc.type == RelType.RELATED_TO and ents[proc.target_id].type == NodeType.CONCEPT
    # unknown predicate with a short term → RELATED_TO with the predicate
    [odd] = [r for r in rels if r.predicate == "奇怪谓词"]
    assert odd.type == RelType.RELATED_TO and ents[odd.target_id].name == "某术语"
    assert all(r.dataset == "cmekg" and r.predicate for r in rels)
    assert len({r.key for r in rels}) == len(rels)


def test_cmekg_aliases_and_properties(cmekg) -> None:
    ents, _, _ = cmekg
    drug = _ent(ents, "非布司他片")
    assert {"优立通", "Febuxostat Tablets"} <= set(drug.aliases)
    assert drug.properties["商品名"] == ["优立通"]  # name-like values are also properties
    assert drug.properties["用法用量"] == ["口服，一次40mg，一日1次。"]
    assert drug.properties["OTC类型"] == ["处方药"]
    # a sentence under a relation predicate is a property, not a node
    assert "禁忌" in drug.properties
    assert _ent(ents, "痛风").properties["ICD10"] == ["M10"]
    assert _ent(ents, "红参").properties["功效"] == ["大补元气"]


def test_cmekg_core_name_alias_only_when_unambiguous(cmekg) -> None:
    ents, _, _ = cmekg
    assert "非布司他" in _ent(ents, "非布司他片").aliases
    assert "秋水仙碱" in _ent(ents, "秋水仙碱片").aliases
    # 盐酸二甲双胍片 and 二甲双胍缓释片 both reduce to 二甲双胍: no alias for either
    assert "二甲双胍" not in _ent(ents, "盐酸二甲双胍片").aliases
    assert "二甲双胍" not in _ent(ents, "二甲双胍缓释片").aliases


def test_cmekg_nothing_dropped(cmekg) -> None:
    ents, rels, _ = cmekg
    pairs = {(s, p, v) for s, pv in CMEKG.items() for p, vs in pv.items() for v in vs}
    landed: set[tuple[str, str, str]] = set()
    for r in rels:
        landed.add((ents[r.source_id].name, r.predicate, ents[r.target_id].name))
    for s in CMEKG:
        e = _ent(ents, s)
        for p, vals in e.properties.items():
            for v in [vals] if isinstance(vals, str) else vals:
                landed.add((s, p, v))
        for p in ALIAS_PREDICATES & set(CMEKG[s]):
            assert set(CMEKG[s][p]) <= set(e.aliases)
    assert pairs <= landed


def test_cmekg_unpickler_refuses_code(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):  # pragma: no cover - only pickled
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"x": {"p": [Evil()]}}))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        load_pickle(path)


def test_cmekg_bad_subject_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "c.pkl"
    path.write_bytes(pickle.dumps({"好": {"适应症": ["头痛"]}, "坏": {"适应症": "不是列表"}, "": {}}))
    ents, _, rejects = _collect(list(CMeKGSource(path).read()))
    assert entity_id("好") in ents
    assert sorted(r.record for r in rejects) == ["", "坏"]


@pytest.mark.slow
def test_cmekg_package_meets_size_targets() -> None:
    ids: set[str] = set()
    keys: set[tuple[str, str, str, str]] = set()
    src = CMeKGSource()
    assert src.total() == 27_403
    for it in src.read():
        assert isinstance(it, SourceRecord)
        ids.update(e.id for e in it.entities)
        keys.update(r.key for r in it.relations)
    assert len(ids) >= 100_000 and len(keys) >= 500_000


# -- xywy ---------------------------------------------------------------------------------------

def test_xywy_record_mapping() -> None:
    ents, rels, _ = _collect(list(XywySource([FIX / "xywy"]).read()))
    d = _ent(ents, "百日咳")
    assert d.type == NodeType.DISEASE and d.described and d.sources == ["xywy"]
    assert d.properties["简介"].startswith("百日咳是")
    assert d.properties["病因"] == "病原菌是百日咳鲍特菌。"
    assert d.properties["症状详情"] == ["潜伏期3～21天。", "典型临床经过分3期。"]
    assert d.properties["治疗方式"] == ["药物治疗", "支持性治疗"]
    assert {"预防", "护理", "医保", "患病比例", "易感人群", "传播途径", "治疗周期", "治愈率", "治疗费用", "宜食", "忌食",
            "推荐食谱"} <= set(d.properties)
    assert _targets(rels, ents, "百日咳", RelType.HAS_SYMPTOM) == {"痉挛性咳嗽", "低热"}
    assert _targets(rels, ents, "百日咳", RelType.NEEDS_CHECK) == {"血常规", "细菌培养"}
    assert _targets(rels, ents, "百日咳", RelType.TREATED_BY) == {"穿心莲内酯片", "红霉素片"}
    assert _targets(rels, ents, "百日咳", RelType.IN_DEPARTMENT) == {"儿科", "小儿内科"}
    assert _targets(rels, ents, "百日咳", RelType.COMPLICATION) == {"支气管肺炎", "肺不张"}
    assert _targets(rels, ents, "百日咳", RelType.GOOD_FOOD) == {"南瓜子仁"}
    assert _targets(rels, ents, "百日咳", RelType.AVOID_FOOD) == {"辣椒"}
    assert _ent(ents, "红霉素片").type == NodeType.DRUG and not _ent(ents, "红霉素片").described
    # 肺不张 is both a complication (weak) and a described record: one node, described
    assert _ent(ents, "肺不张").described


def test_xywy_rejects_bad_records_and_files_and_goes_on() -> None:
    ents, _, rejects = _collect(list(XywySource([FIX / "xywy"]).read()))
    where = {(Path(r.file).name, r.record) for r in rejects}
    assert ("medical_0.json", "1") in where  # no name
    assert ("medical_0.json", "2") in where  # common_drug is not a list
    assert ("medical_1.json", "*") in where  # whole file invalid
    assert all(r.reason for r in rejects)
    # the valid record of medical_2.json (after the broken file) is still read
    assert _ent(ents, "痛风").properties["简介"].startswith("痛风")


def test_xywy_cut_terms_resolve_or_stay_properties() -> None:
    known = KnownNames([NameEntry(entity_id("关节红肿"), NodeType.SYMPTOM, "关节红肿"),
                        NameEntry(entity_id("别嘌醇..."), NodeType.DRUG, "别嘌醇...")])  # a cut name: never a target
    ents, rels, _ = _collect(list(XywySource([FIX / "xywy" / "medical_2.json"]).read(known)))
    assert _targets(rels, ents, "痛风", RelType.HAS_SYMPTOM) == {"关节痛", "关节红肿"}
    assert _targets(rels, ents, "痛风", RelType.TREATED_BY) == {"非布司他片"}
    gout = _ent(ents, "痛风")
    assert gout.properties["症状_截断"] == ["肾..."] and gout.properties["常用药物_截断"] == ["别嘌..."]
    assert not any(e.name.endswith("...") for e in ents.values())


def test_xywy_missing_path_is_clear() -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        list(XywySource(["/nonexistent/medical_0.json"]).read())


# -- 39health -----------------------------------------------------------------------------------

CSV_ROWS = [
    "name,alias,part,age,infection,insurance,department,checklist,symptom,complication,treatment,drug,period,"
    "rate,money,,,,,",
    '阳痿,"勃起功能障碍,阳萎",阴茎,成年男性,无传染性,非医保疾病,男科 生殖健康,外生殖器检查 阴茎超声检查 [详细],'
    '心理性性功能障碍 [详细],,药物治疗、心理治疗 [详细],枸橼酸西地那... 他达拉非片 盐酸... [详细],1-2个月,85%,'
    '约3000元,,,,,',
    '痛风,高尿酸血症性关节炎,关节,中老年男性,无传染性,医保疾病,风湿免疫科,血尿酸 [详细],关节痛 [详细],肾结石 阳痿... 肾... [详细],'
    '药物治疗 [详细],非布司他片 [详细],长期,60%,,,,,,',
    ",没有名字,,,,,,,,,,,,,,,,,,",
    "阳...,,,,,,,,,,,,,,,,,,,",
    "克罗伊茨费尔...,克雅病,,,,,,,,,,,,,,,,,,",
]


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    path = tmp_path / "disease.csv"
    lines = [row.encode("gb18030") for row in CSV_ROWS]
    lines.insert(3, "坏行,".encode("gb18030") + b"\x81\x20\xff" + b",,,,,,,,,,,,,,,,,,")
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    return path


def test_health39_rows_aliases_and_lists(csv_path: Path) -> None:
    known = KnownNames([NameEntry(entity_id("枸橼酸西地那非片"), NodeType.DRUG, "枸橼酸西地那非片"),
                        NameEntry(entity_id("盐酸二甲双胍片"), NodeType.DRUG, "盐酸二甲双胍片"),
                        NameEntry(entity_id("盐酸氨溴索片"), NodeType.DRUG, "盐酸氨溴索片")])
    src = Health39Source([csv_path])
    assert src.total() == 6
    ents, rels, rejects = _collect(list(src.read(known)))
    d = _ent(ents, "阳痿")
    assert d.type == NodeType.DISEASE and d.described
    assert set(d.aliases) == {"勃起功能障碍", "阳萎"}
    assert d.properties["治疗方式"] == ["药物治疗", "心理治疗"]
    assert d.properties["发病部位"] == "阴茎" and d.properties["治愈率"] == "85%"
    assert _targets(rels, ents, "阳痿", RelType.NEEDS_CHECK) == {"外生殖器检查", "阴茎超声检查"}
    assert _targets(rels, ents, "阳痿", RelType.IN_DEPARTMENT) == {"男科", "生殖健康"}
    # the cut name resolves to the one drug it prefixes; the ambiguous one stays a property
    treated = {r.target_id for r in rels if r.source_id == entity_id("阳痿") and r.type == RelType.TREATED_BY}
    assert treated == {entity_id("枸橼酸西地那非片"), entity_id("他达拉非片")}
    assert d.properties[TRUNCATED_KEY] == ["盐酸..."]
    assert not any(e.name.endswith("...") and "名称_截断" not in e.properties for e in ents.values())
    assert all(r.dataset == "39health" and r.predicate for r in rels)
    # undecodable line and nameless row rejected with line numbers; later rows still read
    assert sorted((r.record, r.reason.split(":")[0]) for r in rejects) == [
        ("4", "undecodable gb18030 bytes"), ("5", "row has no disease name")]
    assert _ent(ents, "痛风").aliases == ["高尿酸血症性关节炎"]
    # a row whose own name is cut merges into the one disease it prefixes, else keeps the cut name
    assert _ent(ents, "克罗伊茨费尔...").properties["名称_截断"] == "克罗伊茨费尔..."
    assert _ent(ents, "克罗伊茨费尔...").aliases == ["克雅病"]
    assert "名称_截断" not in _ent(ents, "阳痿").properties
    # a cut complication resolves against this file's own disease rows
    assert _targets(rels, ents, "痛风", RelType.COMPLICATION) == {"肾结石", "阳痿"}
    assert _ent(ents, "痛风").properties["并发症_截断"] == ["肾..."]


# -- CareGPT ------------------------------------------------------------------------------------

def test_caregpt_parse_entry_continuation_lines() -> None:
    name, fields = parse_entry("利可君\n别名:利血生\n用法用量:口服。\n第二行")
    assert name == "利可君" and fields == {"别名": "利血生", "用法用量": "口服。\n第二行"}


def test_caregpt_matches_existing_drugs_and_indications() -> None:
    known = KnownNames([
        NameEntry(entity_id("利可君片"), NodeType.DRUG, "利可君片"),
        NameEntry(entity_id("非布司他片"), NodeType.DRUG, "非布司他片"),
        NameEntry(entity_id("白细胞减少症"), NodeType.DISEASE, "白细胞减少症"),
        NameEntry(entity_id("白细胞减少"), NodeType.SYMPTOM, "白细胞减少"),
        NameEntry(entity_id("血小板减少症"), NodeType.DISEASE, "血小板减少症"),
        NameEntry(entity_id("高尿酸血症"), NodeType.SYMPTOM, "高尿酸血症"),
        NameEntry(entity_id("痛风"), NodeType.DISEASE, "痛风", ("痛风病",)),
        NameEntry(entity_id("症"), NodeType.SYMPTOM, "症"),
    ])
    ents, rels, rejects = _collect(list(CareGPTSource(FIX / "caregpt" / "drug.json").read(known)))
    d = _ent(ents, "利可君")
    assert d.type == NodeType.DRUG and d.described
    assert set(d.aliases) == {"利血生", "Leucogen"}
    assert d.properties["适应证"].startswith("用于预防")
    assert d.properties["用法用量"].endswith("续行的说明。")
    assert {"禁忌证", "不良反应", "剂型", "药品类型"} <= set(d.properties)
    same = [r for r in rels if r.type == RelType.HAS_INGREDIENT]
    assert {(r.source_id, r.target_id, r.predicate) for r in same} == {
        (entity_id("利可君片"), entity_id("利可君"), "同成分"),
        (entity_id("非布司他片"), entity_id("非布司他"), "同成分")}
    ind = {r.target_id for r in rels if r.source_id == entity_id("利可君") and r.type == RelType.INDICATED_FOR}
    # longest match: 白细胞减少症 beats 白细胞减少; one-char names are never matched
    assert ind == {entity_id("白细胞减少症"), entity_id("血小板减少症")}
    ind2 = {r.target_id for r in rels if r.source_id == entity_id("非布司他") and r.type == RelType.INDICATED_FOR}
    assert ind2 == {entity_id("痛风"), entity_id("高尿酸血症")}
    assert all(r.dataset == "caregpt" for r in rels)
    assert sorted(r.record for r in rejects) == ["2", "3"]


def test_caregpt_without_graph_still_yields_drugs() -> None:
    ents, rels, _ = _collect(list(CareGPTSource(FIX / "caregpt" / "drug.json").read(None)))
    assert entity_id("利可君") in ents and not rels


# -- jsonl --------------------------------------------------------------------------------------

def test_jsonl_entities_relations_and_rejects() -> None:
    src = make_source("jsonl:my-data", [FIX / "jsonl" / "own.jsonl"])
    assert isinstance(src, JsonlSource) and src.name == "my-data"
    ents, rels, rejects = _collect(list(src.read()))
    drug = _ent(ents, "利可君片")
    assert drug.described and drug.type == NodeType.DRUG and drug.aliases == ["利可君"]
    assert drug.properties == {"适应证": "用于白细胞减少症", "规格": ["20mg"]}
    assert {(ents[r.source_id].name, r.type, ents[r.target_id].name, r.dataset, r.predicate) for r in rels} == {
        ("利可君片", RelType.INDICATED_FOR, "白细胞减少症", "my-data", "适应证"),
        ("白细胞减少症", RelType.HAS_SYMPTOM, "乏力", "my-hospital", "HAS_SYMPTOM")}
    assert _ent(ents, "乏力").type == NodeType.SYMPTOM and not _ent(ents, "乏力").described
    assert sorted(int(r.record) for r in rejects) == [7, 8, 9, 10]
    assert all(r.file.endswith("own.jsonl") and r.raw for r in rejects)


def test_make_source_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        make_source("nope", ["x"])
    with pytest.raises(ValueError, match="needs at least one path"):
        make_source("xywy", [])


def test_page_furniture_is_not_a_name() -> None:
    from kg.sources.base import usable_name

    assert usable_name(">>") is None
    assert usable_name("应该如何用药？用什么药？") is None
    assert usable_name(" 吡拉西坦片 ") == "吡拉西坦片"
    assert usable_name("维生素B1") == "维生素B1"


# -- names that cannot be stored (issue 12, findings 3 and 9) -----------------------------------


def test_jsonl_rejects_unsafe_names_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "own.jsonl"
    lines = [
        {"kind": "entity", "name": "好药片", "type": "Drug"},
        {"kind": "entity", "name": "坏\n药片", "type": "Drug"},
        {"kind": "entity", "name": "好药二片", "type": "Drug", "aliases": ["别\t名"]},
        {"kind": "entity", "name": "长" * 201, "type": "Drug"},
        {"kind": "relation", "source": "好药片", "type": "INDICATED_FOR", "target": "头\x00痛"},
        {"kind": "entity", "name": "病" * 200, "type": "Disease"},
    ]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    ents, _, rejects = _screened(list(JsonlSource([path]).read()), "jsonl")
    by_line = {int(r.record): r.reason for r in rejects}
    assert sorted(by_line) == [2, 3, 4, 5]
    assert "U+000A" in by_line[2] and "U+0009" in by_line[3] and "longer than 200" in by_line[4]
    assert "U+0000" in by_line[5]
    assert "alias dropped" in by_line[3]  # the bad alias alone: 好药二片 itself is kept
    assert all(r.file == str(path) for r in rejects)
    assert {e.name for e in ents.values()} == {"好药片", "好药二片", "病" * 200}


def _screened(items: list[SourceRecord | Reject], source: str) -> tuple[dict[str, Entity], list[Relation],
                                                                         list[Reject]]:
    """What the ingest keeps of a source's items after kg.sources.base.NameScreen."""
    screen = NameScreen(source)
    out: list[SourceRecord | Reject] = []
    for item in items:
        if isinstance(item, Reject):
            out.append(item)
        else:
            rec, rejects = screen(item)
            out += [rec, *rejects]
    return _collect(out)


def test_every_source_rejects_unsafe_names_with_file_and_record(tmp_path: Path) -> None:
    # xywy: the described disease and one mentioned symptom
    xywy = tmp_path / "medical_0.json"
    xywy.write_text(json.dumps({
        "0": {"gaishu_info": {"name": "坏\n病"}, "symptom_data": {"symptoms": ["发热"]}},
        "1": {"gaishu_info": {"name": "好病"}, "symptom_data": {"symptoms": ["头\x0b痛", "咳嗽"]}},
    }, ensure_ascii=False), encoding="utf-8")
    ents, rels, rejects = _screened(list(XywySource([xywy]).read()), "xywy")
    assert {(Path(r.file).name, r.record) for r in rejects} == {("medical_0.json", "0"), ("medical_0.json", "1")}
    assert any("U+000A" in r.reason for r in rejects) and any("U+000B" in r.reason for r in rejects)
    assert {e.name for e in ents.values()} == {"发热", "好病", "咳嗽"}
    assert all(r.source_id in ents and r.target_id in ents for r in rels)
    # 39health: a control character in a disease name
    csv = tmp_path / "disease.csv"
    csv.write_bytes(("name,alias,symptom\r\n坏\x07病,,头痛 [详细]\r\n好病,,头痛 [详细]\r\n").encode("gb18030"))
    ents, _, rejects = _screened(list(Health39Source([csv]).read()), "39health")
    assert {r.record for r in rejects} == {"2"} and any("U+0007" in r.reason for r in rejects)
    assert any("relation(s)" in r.reason for r in rejects)  # its symptom relation, dropped with a reason
    assert "好病" in {e.name for e in ents.values()}
    # caregpt: a control character in the drug name (the first line of an entry)
    care = tmp_path / "drug.json"
    care.write_text(json.dumps(["好药\n适应证:头痛", "坏\x01药\n适应证:头痛"], ensure_ascii=False), encoding="utf-8")
    ents, _, rejects = _screened(list(CareGPTSource(care).read()), "caregpt")
    assert [(r.record, "U+0001" in r.reason) for r in rejects] == [("1", True)]
    # cmekg: an object name with a control character is dropped with its relation, the subject stays
    pkl = tmp_path / "cmekg.pkl"
    pkl.write_bytes(pickle.dumps({"好药片": {"适应症": ["头痛", "头\x07晕"]}}))
    ents, rels, rejects = _screened(list(CMeKGSource(pkl).read()), "cmekg")
    assert {r.record for r in rejects} == {"好药片"} and any("U+0007" in r.reason for r in rejects)
    assert {ents[r.target_id].name for r in rels} == {"头痛"}


def test_normalisation_is_linear_in_the_name_length() -> None:
    """Issue 12, finding 9: `[…]+$` was quadratic (a 64 KB name took 84 s to ingest). No timing
    assertion: a quadratic regex on these inputs would not finish within the test run."""
    for name in ["，" * 65_536 + "a", "(" * 65_536 + "a)", " " * 65_536 + "x", "(" * 1_000_000]:
        normalize_name(name)
        core_name(name)
    assert normalize_name("，" * 65_536 + "a。。") == "a"
    assert core_name("复方氨基酸胶囊(8-11)") == "复方氨基酸" and core_name("a(b)(c)") == "a(b)"
    assert strip_detail(" " * 65_536 + "x") == "x" and strip_detail("头痛  [详细]  ") == "头痛"
