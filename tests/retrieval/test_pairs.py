"""Two-drug questions on a small fixture graph: interaction sentences that name the other drug or its
class, comparison rows, and drug classes named in a question (头孢 → the cephalosporins)."""

from __future__ import annotations

import pytest

from kg.schema import Entity, NodeType, Relation, RelType
from kg.stores.ladybug import LadybugStore
from models.comparison import comparison_from
from retrieval.pairs import ClassIndex, category_terms, condition_terms, other_terms
from retrieval.retriever import Retriever
from retrieval.types import Verdict

ASPIRIN, CLOPIDOGREL = "阿司匹林", "氯吡格雷"
_DRUGS = [
    (ASPIRIN, {"药品类型": "解热镇痛药", "适应证": "用于发热、头痛。",
               "药物相互作用": "与抗凝药合用可增加出血的危险。与任何可引起血小板聚集功能降低的药物同用时，有加重凝血障碍并增加出血的危险。与降糖药合用增强降糖作用。",
               "注意事项": "饮酒前后不可服用本品，否则易损伤胃黏膜造成出血。肾功能衰竭时慎用。",
               "禁忌证": "孕妇禁用。", "不良反应": "胃肠道反应。"}),
    (CLOPIDOGREL, {"药品类型": "抗血小板药", "适应证": "用于动脉粥样硬化血栓形成事件的预防。",
                   "药物相互作用": "与阿司匹林同用可能增加胃肠道出血的潜在危险性。", "不良反应": "出血。"}),
    *[(f"头孢{x}", {"注意事项": "用药期间应避免饮酒，以免出现双硫仑样反应。" if i < 2 else "过敏者慎用。"})
      for i, x in enumerate(("克肟片", "拉定胶囊", "呋辛酯片", "氨苄胶囊", "丙烯片"))],
]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    path = tmp_path_factory.mktemp("pairs") / "graph"
    store = LadybugStore(path)
    ents = [Entity.named(n, NodeType.DRUG, properties=p, sources=["caregpt"], described=True) for n, p in _DRUGS]
    ents += [Entity.named(n, t, sources=["cmekg"], described=True) for n, t in
             (("抗血小板药", NodeType.CATEGORY), ("发热", NodeType.SYMPTOM), ("头痛", NodeType.SYMPTOM),
              ("喝酒", NodeType.CONCEPT), ("肾功能不全", NodeType.DISEASE))]
    ids = {e.name: e.id for e in ents}
    rels = [Relation(ids[CLOPIDOGREL], RelType.IN_CATEGORY, ids["抗血小板药"], "cmekg", "分类"),
            Relation(ids[ASPIRIN], RelType.INDICATED_FOR, ids["发热"], "cmekg", "适应症"),
            Relation(ids[ASPIRIN], RelType.INDICATED_FOR, ids["头痛"], "cmekg", "适应症")]
    store.upsert_entities(ents)
    store.upsert_relations(rels)
    r = Retriever(store)
    r.warm_up()
    return r


def test_interaction_names_the_other_drug_first_then_its_class(retriever: Retriever) -> None:
    res = retriever.retrieve("阿司匹林和氯吡格雷能一起吃吗")
    assert res.intent.name == "interaction"
    texts = [e.text for e in res.evidence]
    assert texts[0].startswith("阿司匹林与氯吡格雷合用：慎用")  # the verdict first, from the sentences' words
    assert res.pair is not None and res.pair.verdict == Verdict.CAUTION and 1 in res.pair.evidence
    assert "与阿司匹林同用可能增加胃肠道出血" in texts[1]  # names the drug itself
    by_class = next(t for t in texts if "血小板聚集" in t)  # 抗血小板药 → 血小板
    assert texts.index(by_class) > 1 and "降糖" not in by_class


def test_comparison_rows_and_table(retriever: Retriever) -> None:
    res = retriever.retrieve("阿司匹林和氯吡格雷有什么区别")
    assert res.intent.name == "comparison"
    fields = [e.field for e in res.evidence]
    assert fields[:2] == ["对比·分类", "对比·分类"]
    for i, e in enumerate(res.evidence, start=1):
        assert e.index == i
    table = comparison_from(res.evidence)
    assert table is not None and [r.name for r in table.entities] == [ASPIRIN, CLOPIDOGREL]
    row = next(r for r in table.rows if r.label == "分类")
    # the class-term table's class leads, the graph's own categories follow
    assert row.cells == ["非甾体抗炎药、解热镇痛药", "抗血小板药"] and row.citations == [[1], [2]]


def test_a_drug_class_in_the_question_answers_from_its_members(retriever: Retriever) -> None:
    res = retriever.retrieve("喝酒后能吃头孢吗")
    names = {e.entity_name for e in res.evidence}
    assert names and all(n.startswith("头孢") for n in names)
    assert all("饮酒" in e.text for e in res.evidence)
    assert res.entities[0].method == "class"


def test_a_drug_with_a_condition_answers_from_the_drug_sentences(retriever: Retriever) -> None:
    res = retriever.retrieve("肾功能不全能吃阿司匹林吗")
    assert res.entities[0].name == ASPIRIN
    assert "肾功能衰竭时慎用" in res.evidence[0].text


def test_terms() -> None:
    assert "血小板" in category_terms(["抗凝溶栓及抗血小板药"])
    assert condition_terms("肾功能不全") == ["肾功能不全", "肾功能"]
    assert "乙醇" in other_terms("喝酒")
    idx = ClassIndex.build([(f"i{i}", "Drug", f"头孢{c}肟片", []) for i, c in enumerate("甲乙丙丁戊")])
    stem, members, _ = idx.find("吃头孢能喝酒吗")
    assert stem == "头孢" and len(members) == 5
