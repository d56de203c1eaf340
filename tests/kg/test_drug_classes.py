"""The atc source and the class pass after every ingest, on a small graph in the embedded store:
table classes by generic or English name, brand propagation, INN stems for what the table lacks,
source class text, the 中成药 marker, superseded edges, coverage; then class questions answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.class_audit import class_coverage
from kg.classes import class_node_id
from kg.drug_classes import SUPERSEDED, assign_classes
from kg.ingest import ingest
from kg.schema import Entity, NodeType, Relation, RelType
from kg.sources import make_source
from kg.stores.ladybug import LadybugStore

ATC_CSV = """code,level,name_zh,name_en,parent_code
C,1,心血管系统,Cardiovascular system,
C08,2,,,C
C08C,3,主要对血管产生影响的选择性钙通道阻断药,Selective calcium channel blockers with mainly vascular effects,C08
C08CA,4,二氢吡啶衍生物,Dihydropyridine derivatives,C08C
C08CA01,5,氨氯地平,Amlodipine,C08CA
C08CA05,5,硝苯地平,Nifedipine,C08CA
J,1,全身用抗感染药,Antiinfectives for systemic use,
J01,2,,,J
J01F,3,大环内酯类、林可酰胺类和链霉杀阳菌素类,"Macrolides, lincosamides and streptogramins",J01
J01FA,4,大环内酯类,Macrolides,J01F
J01FA10,5,阿奇霉素,Azithromycin,J01FA
J01FA09,5,克拉霉素,Clarithromycin,J01FA
N,1,神经系统,Nervous system,
N02,2,,,N
N02B,3,其他解热镇痛药,Other analgesics and antipyretics,N02
N02BA,4,水杨酸及其衍生物,Salicylic acid and derivatives,N02B
N02BA01,5,阿司匹林,Acetylsalicylic acid,N02BA
"""


def _drug(name: str, **props: str | list[str]) -> Entity:
    return Entity.named(name, NodeType.DRUG, properties=dict(props), sources=["test"], described=True)


DRUGS = [
    _drug("苯磺酸氨氯地平片", 药品类型=["处方药", "中成药"]),  # a 中成药 label on a Western drug
    _drug("络活喜", 通用名="苯磺酸氨氯地平片"),  # a brand: the table's class through its generic name
    _drug("海普", 通用名=["硝苯地平片", "阿奇霉素片"]),  # a brand node of two products: vouches for nothing
    _drug("硝苯地平胶囊"),
    _drug("心痛定", 通用名="硝苯地平片"),  # a brand: 硝苯地平胶囊 vouches for the substance
    _drug("Zithromax片", 英文名="Azithromycin Tablets"),  # matched by the English name
    _drug("氯沙坦钾片"),  # not in this table: INN stem -沙坦
    _drug("某某肽注射液", 药品类型="质子泵抑制剂"),  # no stem: the source's class text
    _drug("六味地黄丸", 药品类型="中成药", 功能主治="滋阴补肾"),
    _drug("千年健", 性味="苦、辛，温", 入药部位="根茎"),
    _drug("氯化钾缓释片"),  # no stem: a name pattern
    _drug("阿司匹林肠溶片"),
    _drug("阿司匹林维生素C泡腾片"),  # a combination: its main (first) ingredient's table class
]


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[LadybugStore]:
    csv = tmp_path / "atc.csv"
    csv.write_text(ATC_CSV, encoding="utf-8")
    with LadybugStore(tmp_path / "graph") as store:
        store.upsert_entities(DRUGS)
        store.upsert_entities([Entity.named("Zithromax片", NodeType.DRUG, aliases=["Azithromycin Tablets"]),
                               Entity.named("海普", NodeType.DRUG, aliases=["Azithromycin Tablets"])])
        assign_classes(store)  # a graph without the table first: stems and source text only
        ingest(store, [make_source("atc", [csv])], rejects_path=tmp_path / "rejects.jsonl")
        assign_classes(store)
        yield store


def _classes(store: LadybugStore, name: str, flagged: bool = False) -> list[tuple[str, str, str]]:
    drug = store.find_by_name(name, [NodeType.DRUG])[0]
    return sorted((f.target_name, f.dataset, f.flag) for f in store.facts(drug.id, [RelType.IN_CLASS])
                  if flagged or not f.flag)


def test_table_stem_source_and_tcm(graph: LadybugStore) -> None:
    assert _classes(graph, "苯磺酸氨氯地平片") == [("二氢吡啶衍生物", "atc", "")]
    assert _classes(graph, "络活喜") == [("二氢吡啶衍生物", "atc", "")]
    assert _classes(graph, "Zithromax片") == [("大环内酯类", "atc", "")]
    assert _classes(graph, "心痛定") == [("二氢吡啶衍生物", "atc", "")]  # from 硝苯地平胶囊, never 海普's 大环内酯类
    assert _classes(graph, "氯沙坦钾片") == [("血管紧张素II拮抗药，单方（C09CA）", "inn-stem", "")]
    assert _classes(graph, "某某肽注射液") == [("质子泵抑制药", "source-class", "")]
    assert _classes(graph, "六味地黄丸") == [("中成药", "source-class", "")]
    assert _classes(graph, "千年健") == []
    assert _classes(graph, "氯化钾缓释片") == [("钾补充剂", "name-pattern", "")]
    assert _classes(graph, "阿司匹林维生素C泡腾片") == [("水杨酸及其衍生物", "atc", "")]
    drug = graph.find_by_name("阿司匹林维生素C泡腾片")[0]
    assert [f.predicate for f in graph.facts(drug.id, [RelType.IN_CLASS])] == ["atc-component"]


def test_hierarchy_nodes_keyed_by_code(graph: LadybugStore) -> None:
    node = graph.get_entity(class_node_id("C08CA"))
    assert node is not None and node.type == NodeType.CATEGORY
    assert node.properties["ATC代码"] == "C08CA" and node.properties["级别"] == "4"
    parents = graph.facts(node.id, [RelType.RELATED_TO])
    assert [(f.target_name, f.predicate) for f in parents] == [("主要对血管产生影响的选择性钙通道阻断药", "上级分类")]


def test_stem_edge_superseded_once_the_table_knows_the_drug(tmp_path: Path) -> None:
    csv = tmp_path / "atc.csv"
    csv.write_text(ATC_CSV, encoding="utf-8")
    with LadybugStore(tmp_path / "graph") as store:
        store.upsert_entities([_drug("硝苯地平控释片")])
        first = assign_classes(store)
        assert first.by_derivation.get("inn-stem") == 1
        ingest(store, [make_source("atc", [csv])], rejects_path=tmp_path / "r.jsonl")
        second = assign_classes(store)
        assert second.flagged == 1
        assert _classes(store, "硝苯地平控释片", flagged=True) == [("二氢吡啶衍生物", "atc", ""),
                                                 ("二氢吡啶衍生物", "inn-stem", SUPERSEDED)]
        assert assign_classes(store).flagged == 0 and assign_classes(store).written == 0  # idempotent


def test_coverage(graph: LadybugStore) -> None:
    cov = class_coverage(graph)
    assert cov.kinds["tcm_patent"] == 1 and cov.kinds["tcm_herb"] == 1 and cov.tcm_marked == 1
    assert cov.classified == cov.denominator == 9  # the source-class drug has no generic name to judge
    assert cov.by_derivation == {"atc": 7, "inn-stem": 1, "name-pattern": 1}  # the combination is counted apart


def test_class_questions(graph: LadybugStore) -> None:
    from retrieval.pairs.drug_classes import DrugClassIndex, class_question

    index = DrugClassIndex(graph)
    found = class_question(index, "钙通道阻滞剂有哪些", [])
    assert found is not None
    evidence, entities = found
    assert entities[0].type == "Category" and entities[0].method == "class"
    assert [(e.source, e.target_name) for e in evidence] == [("atc", "氨氯地平、硝苯地平")]
    assert "ATC代码 C08" in evidence[0].text
    assert class_question(index, "二氢吡啶类有哪些口服药", []) is not None
    assert class_question(index, "沙坦类有哪些", [])[0][0].source == "inn-stem"  # type: ignore[index]
    assert class_question(index, "氯沙坦是什么", []) is None
    from retrieval.types import LinkedEntity

    # a class term inside a linked drug's longer name (他汀 in 阿托伐他汀) asks about that drug, never for the
    # class's members
    assert class_question(index, "钙通道阻滞剂片有哪些", []) is not None
    drug_link = LinkedEntity(id="x", name="钙通道阻滞剂片", type="Drug", mention="钙通道阻滞剂片", score=1.0, start=0,
                             end=7)
    assert class_question(index, "钙通道阻滞剂片有哪些", [drug_link]) is None
    drug = graph.find_by_name("Zithromax片")[0]
    assert "大环内酯类" in index.class_names_of(drug.id) and "大环内酯类抗生素" in index.class_names_of(drug.id)
    assert index.class_labels(graph.find_by_name("氯沙坦钾片")[0].id) == ["血管紧张素II拮抗药，单方（ATC代码 C09CA）"]


def test_edge_identity() -> None:
    rel = Relation("a", RelType.IN_CLASS, class_node_id("C08CA"), "atc", "atc")
    assert rel.key[1] == "IN_CLASS" and class_node_id("C08CA") != class_node_id("C08C")
