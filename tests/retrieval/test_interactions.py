"""The pair's own fact (retrieval.pairs.interactions) on a small fixture graph: a verdict first from the words of
the sentences naming the other drug (by name, through a product of the same generic, or by class), the
follow-up that forms the pair, drug + alcohol, cross-allergy read from class peers, and comparisons of a
generic the graph holds only as products."""

from __future__ import annotations

import pytest

from kg.schema import Entity, NodeType, Relation, RelType
from kg.stores.ladybug import LadybugStore
from models.comparison import comparison_from
from models.prompts import grounded_input
from retrieval.pairs.class_terms import allergy_terms, class_names_of, generic_of
from retrieval.pairs.interactions import VERDICT_FIELD, other_of, pair_follow_up, verdict_of
from retrieval.retriever import Retriever
from retrieval.types import Verdict

_TEXT_DRUGS: list[tuple[str, dict[str, str]]] = [
    ("辛伐他汀片", {"药品类型": "处方药", "不良反应": "肌痛、腹痛。"}),
    ("辛伐他汀滴丸", {"药品类型": "处方药"}),
    ("克拉霉素片", {"注意事项": "肝功能损害者慎用。"}),
    ("洛伐他汀片", {"药物相互作用": "禁止与CYP3A4强效抑制剂合用，以免增加肌病风险。"}),
    ("伊曲康唑胶囊", {"注意事项": "用药期间勿饮酒。"}),
    ("地高辛片", {"不良反应": "恶心。"}),
    ("盐酸胺碘酮片", {"注意事项": "与洋地黄类合用时应监测血药浓度并调整剂量。"}),
    ("头孢克洛片", {"适应证": "用于敏感菌所致的呼吸道感染。"}),
    ("头孢呋辛酯片", {"注意事项": "对青霉素类过敏者慎用。"}),
    ("头孢拉定胶囊", {"禁忌": "对头孢菌素类过敏者禁用。"}),
    ("头孢氨苄片", {"不良反应": "皮疹。"}),
    ("头孢丙烯片", {"不良反应": "腹泻。"}),
    ("氯沙坦钾片", {"适应证": "用于原发性高血压。", "不良反应": "头晕、高钾血症。"}),
    ("苯磺酸氨氯地平片", {"适应证": "用于高血压、心绞痛。", "不良反应": "水肿、头痛。"}),
    ("维生素Z片", {"性状": "白色片。"}),
    ("阿托伐他汀片", {"性状": "白色片。"}),
    ("瑞舒伐他汀胶囊", {"性状": "胶囊。"}),
]
_CONCEPTS = [("辛伐他汀", NodeType.DRUG), ("克拉霉素", NodeType.DRUG), ("氯沙坦", NodeType.DRUG),
             ("大环内酯类", NodeType.CATEGORY), ("高血压", NodeType.DISEASE), ("心绞痛", NodeType.DISEASE),
             ("水肿", NodeType.SYMPTOM), ("头晕", NodeType.SYMPTOM), ("高钾血症", NodeType.DISEASE),
             ("头痛", NodeType.SYMPTOM), ("青霉素过敏", NodeType.DISEASE)]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    store = LadybugStore(tmp_path_factory.mktemp("interactions") / "graph")
    ents = [Entity.named(n, NodeType.DRUG, properties=p, sources=["cmekg"], described=True) for n, p in _TEXT_DRUGS]
    ents += [Entity.named(n, t, sources=["cmekg"], described=False) for n, t in _CONCEPTS]
    ids = {e.name: e.id for e in ents}

    def rel(a: str, t: RelType, b: str, pred: str = "") -> Relation:
        return Relation(ids[a], t, ids[b], "cmekg", pred)

    store.upsert_entities(ents)
    store.upsert_relations([
        rel("辛伐他汀片", RelType.HAS_INGREDIENT, "辛伐他汀", "成份"),
        rel("辛伐他汀滴丸", RelType.HAS_INGREDIENT, "辛伐他汀", "成份"),
        rel("辛伐他汀滴丸", RelType.INTERACTS_WITH, "克拉霉素", "药物相互作用"),  # only a sibling product lists it
        rel("克拉霉素片", RelType.HAS_INGREDIENT, "克拉霉素", "成份"),
        rel("克拉霉素片", RelType.IN_CATEGORY, "大环内酯类", "分类"),
        rel("氯沙坦钾片", RelType.INDICATED_FOR, "高血压", "适应症"),
        rel("氯沙坦钾片", RelType.ADVERSE_REACTION, "头晕", "不良反应"),
        rel("氯沙坦钾片", RelType.ADVERSE_REACTION, "高钾血症", "不良反应"),
        rel("苯磺酸氨氯地平片", RelType.INDICATED_FOR, "高血压", "适应症"),
        rel("苯磺酸氨氯地平片", RelType.INDICATED_FOR, "心绞痛", "适应症"),
        rel("苯磺酸氨氯地平片", RelType.ADVERSE_REACTION, "水肿", "不良反应"),
        rel("苯磺酸氨氯地平片", RelType.ADVERSE_REACTION, "头痛", "不良反应"),
    ])
    r = Retriever(store)
    r.warm_up()
    return r


def test_verdict_words() -> None:
    assert verdict_of("禁止与CYP3A4强效抑制剂合用。") == Verdict.AVOID
    assert verdict_of("正在服用抗凝血药的患者不宜用本品。") == Verdict.AVOID
    assert verdict_of("与抗凝药合用可增加出血的危险。") == Verdict.CAUTION
    assert verdict_of("合用时应监测血药浓度。") == Verdict.MONITOR
    assert verdict_of("与西咪替丁合用无需调整剂量。") == Verdict.LISTED  # a negated cue says nothing
    assert verdict_of("饮酒前后不可服用本品。", loose=True) == Verdict.AVOID


def test_class_terms_and_allergy_terms() -> None:
    assert generic_of("氯沙坦钾片") == "氯沙坦" and generic_of("盐酸胺碘酮片") == "胺碘酮"
    assert class_names_of("氯沙坦钾片") == ["血管紧张素II受体拮抗剂"]
    assert class_names_of("头孢克洛片") == ["头孢菌素类", "β-内酰胺类"]
    assert "CYP3A4抑制剂" in class_names_of("克拉霉素片")
    terms = allergy_terms("青霉素过敏")
    assert "青霉素" in terms and "β-内酰胺类" in terms
    assert allergy_terms("高血压") == []
    assert other_of("青霉素过敏能用头孢克洛吗", ["头孢克洛"]) == "青霉素过敏"
    assert other_of("对阿司匹林过敏能吃布洛芬吗", []) == "阿司匹林过敏"
    assert other_of("布洛芬会引起过敏吗", ["布洛芬"]) == other_of("布洛芬会引起过敏吗", []) == ""  # a reaction
    assert other_of("吃甲硝唑能喝酒吗", ["甲硝唑"]) == "酒"
    assert other_of("酒石酸美托洛尔能一起吃吗", ["酒石酸美托洛尔"]) == ""
    assert pair_follow_up("能和克拉霉素一起吃吗？") and not pair_follow_up("克拉霉素有什么副作用")


def test_interaction_found_on_a_same_generic_product_gets_a_verdict_first(retriever: Retriever) -> None:
    res = retriever.retrieve("辛伐他汀和克拉霉素能一起吃吗")
    assert res.intent.name == "interaction" and res.pair is not None
    assert res.pair.verdict == Verdict.LISTED and res.pair.drugs == ["辛伐他汀", "克拉霉素"]
    assert res.evidence[0].field == VERDICT_FIELD and res.evidence[0].text.startswith("辛伐他汀与克拉霉素合用：")
    assert any("辛伐他汀滴丸" in e.text and "克拉霉素" in e.text for e in res.evidence[1:])


def test_a_class_sentence_gives_the_strongest_verdict(retriever: Retriever) -> None:
    res = retriever.retrieve("洛伐他汀和克拉霉素能一起吃吗")  # 洛伐他汀 names the class CYP3A4 抑制剂
    assert res.pair is not None and res.pair.verdict == Verdict.AVOID
    assert "避免合用" in res.evidence[0].text and "CYP3A4" in res.evidence[0].text
    assert "禁止与CYP3A4强效抑制剂合用" in res.evidence[1].text
    res = retriever.retrieve("地高辛和胺碘酮能一起用吗")  # 洋地黄类 → 地高辛
    assert res.pair is not None and res.pair.verdict == Verdict.MONITOR


def test_nothing_recorded_is_not_said_to_be_safe(retriever: Retriever) -> None:
    res = retriever.retrieve("氯沙坦和地高辛能一起吃吗")
    assert res.pair is not None and res.pair.verdict == Verdict.NOT_FOUND
    assert len(res.evidence) == 1 and "不等于可以放心合用" in res.evidence[0].text


def test_a_follow_up_naming_y_after_x_forms_the_pair(retriever: Retriever) -> None:
    res = retriever.retrieve("能和克拉霉素一起吃吗？", ["辛伐他汀片是什么药？"])
    assert res.pair is not None and res.pair.drugs[0].startswith("辛伐他汀") and res.pair.drugs[1] == "克拉霉素"
    assert {e.method for e in res.entities} >= {"history"}
    compare = retriever.retrieve("和氨氯地平有什么区别", ["氯沙坦钾片是什么药？"])
    assert [e.entity_name for e in compare.evidence if e.field == "对比·分类"] == ["氯沙坦钾片", "苯磺酸氨氯地平片"]
    plain = retriever.retrieve("克拉霉素有什么副作用", ["辛伐他汀片是什么药？"])  # not a pair question
    assert plain.pair is None and all(e.method != "history" for e in plain.entities)


def test_alcohol_and_cross_allergy(retriever: Retriever) -> None:
    res = retriever.retrieve("吃伊曲康唑能喝酒吗")
    assert res.pair is not None and res.pair.verdict == Verdict.AVOID and "勿饮酒" in res.evidence[1].text
    res = retriever.retrieve("青霉素过敏能用头孢克洛吗")  # its own label is silent: the class peers speak
    assert res.intent.name == "contraindication" and res.pair is not None
    assert res.pair.verdict == Verdict.CAUTION
    assert res.evidence[0].text.startswith("青霉素过敏者用头孢克洛：慎用") and "头孢菌素类" in res.evidence[0].text
    assert "对青霉素类过敏者慎用" in res.evidence[1].text
    assert all("头孢菌素类过敏者禁用" not in e.text for e in res.evidence)  # not the penicillin allergy


def test_comparison_keeps_both_drugs_and_shows_what_differs(retriever: Retriever) -> None:
    res = retriever.retrieve("氯沙坦和氨氯地平有什么区别？")
    assert res.intent.name == "comparison"
    names = [e.entity_name for e in res.evidence if e.field == "对比·分类"]
    assert names == ["氯沙坦钾片", "苯磺酸氨氯地平片"]  # the generic held only as products, question order
    texts = {e.entity_name: e.text for e in res.evidence if e.field == "对比·分类"}
    assert "血管紧张素II受体拮抗剂" in texts["氯沙坦钾片"] and "钙通道阻滞剂" in texts["苯磺酸氨氯地平片"]
    adr = {e.entity_name: e.text for e in res.evidence if e.field == "对比·主要不良反应"}
    assert "水肿" in adr["苯磺酸氨氯地平片"] and "水肿" not in adr["氯沙坦钾片"]
    treats = {e.entity_name: e.text for e in res.evidence if e.field == "对比·主要适应症"}
    assert "心绞痛" in treats["苯磺酸氨氯地平片"] and treats["氯沙坦钾片"] != treats["苯磺酸氨氯地平片"]
    table = comparison_from(res.evidence)
    assert table is not None and len(table.entities) == 2


def test_a_side_without_data_is_named_not_dropped(retriever: Retriever) -> None:
    res = retriever.retrieve("氯沙坦和维生素Z片有什么区别")
    notes = [e for e in res.evidence if e.field == "对比·说明"]
    assert [e.entity_name for e in notes] == ["维生素Z片"] and "没有" in notes[0].text
    assert any(e.entity_name == "氯沙坦钾片" for e in res.evidence)


def test_llm_prompts_get_the_verdict_first(retriever: Retriever) -> None:
    """The hf / openai generators read the same evidence: the verdict is fact [1] of their prompt."""
    res = retriever.retrieve("洛伐他汀和克拉霉素能一起吃吗")
    lines = grounded_input(res.evidence).splitlines()
    assert lines[1].startswith("[1] 洛伐他汀与克拉霉素合用：避免合用")


def test_a_class_beside_a_drug_reads_the_class_members(retriever: Retriever) -> None:
    res = retriever.retrieve("他汀类和克拉霉素能一起吃吗")
    assert res.pair is not None and res.pair.drugs == ["他汀类", "克拉霉素"]
    assert res.pair.verdict == Verdict.AVOID  # 洛伐他汀片: 禁止与CYP3A4强效抑制剂合用
    assert any("辛伐他汀滴丸" in e.text for e in res.evidence)
