"""The entity card model: summary rows, clinical section order, ranking, counts, disagreements, flags."""

from __future__ import annotations

from pathlib import Path

from app.cards import CARD_TOP_ITEMS, CardItem, build_card, load_card, rank_items, resolve_names
from kg.schema import Direction, Entity, EntityCard, Fact, NodeType, RelType
from tests.app.api_graph import DRUG, build_graph, entity_id_of

DRUG_E = Entity.named("非布司他片", NodeType.DRUG, aliases=["非布司他"], sources=["caregpt", "cmekg"],
                      properties={"简介": "黄嘌呤氧化酶抑制剂。用于痛风。", "用法用量": "口服，一次40mg。",
                                  "商品名": ["优立通", "瑞扬"], "药品类型": ["化学药品", "抗痛风药"],
                                  "OTC类型": "处方药", "药品监管分级": "x"})


def _fact(rel: RelType, target: str, ds: str, ttype: NodeType = NodeType.DISEASE, flag: str = "",
          direction: Direction = Direction.OUT) -> Fact:
    t = Entity.named(target, ttype)
    return Fact(DRUG_E.id, DRUG_E.name, rel, t.id, t.name, ttype, ds, direction=direction, flag=flag)


def test_drug_card_sections_in_clinical_order_with_summary() -> None:
    facts = [_fact(RelType.ADVERSE_REACTION, f"反应{i}", "cmekg", NodeType.SYMPTOM) for i in range(30)]
    facts += [_fact(RelType.INDICATED_FOR, "痛风", "cmekg"), _fact(RelType.INDICATED_FOR, "痛风", "caregpt"),
              _fact(RelType.INDICATED_FOR, "高尿酸血症", "cmekg"),
              _fact(RelType.TREATED_BY, "痛风性关节炎", "xywy", direction=Direction.IN),
              _fact(RelType.IN_CATEGORY, "抗痛风药", "cmekg", NodeType.CATEGORY),
              _fact(RelType.CONTRAINDICATED, "孕妇", "cmekg", NodeType.CONCEPT, flag="not_a_condition")]
    card = build_card(EntityCard(entity=DRUG_E, facts=facts))
    assert [r.label for r in card.summary] == ["通用名", "商品名", "分类", "OTC/处方", "监管分级", "简介"]
    rows = {r.label: r for r in card.summary}
    assert [v.text for v in rows["商品名"].values] == ["优立通", "瑞扬"]
    assert "英文名称" not in rows  # an optional row the graph lacks is left out, not shown as "—"
    assert rows["分类"].disagree and {v.text for v in rows["分类"].values} == {"化学药品", "抗痛风药"}
    assert rows["监管分级"].values[0].text == "x"
    keys = [s.key for s in card.sections]
    assert keys == ["indication", "usage", "contraindication", "precautions", "adverse_reaction", "interaction",
                    "population"]
    ind = card.sections[0]
    names = [i.name for i in ind.items]  # ranked like answers (retrieval.evidence.ranking): 2 datasets first
    assert names[0] == "痛风" and sorted(names) == sorted(["痛风", "痛风性关节炎", "高尿酸血症"])
    assert ind.total == 3 and ind.items[0].datasets == ["caregpt", "cmekg"]
    adverse = card.sections[4]
    assert adverse.total == 30 == len(adverse.items) > CARD_TOP_ITEMS
    contra = card.sections[2]
    assert contra.total == 0 and [i.name for i in contra.low_confidence] == ["孕妇"]
    assert contra.low_confidence[0].flag == "not_a_condition"
    assert card.more == [] and card.heading == "药品信息"
    assert card.type_label == "药品" and card.source_labels == ["药品手册", "CMeKG"]


def test_disease_summary_has_aliases_and_department() -> None:
    gout = Entity.named("痛风", NodeType.DISEASE, aliases=["痛风病"], sources=["xywy"], properties={"预防": "少饮酒。"})
    dept = Entity.named("风湿免疫科", NodeType.DEPARTMENT)
    sym = Entity.named("关节痛", NodeType.SYMPTOM)
    facts = [Fact(gout.id, gout.name, RelType.IN_DEPARTMENT, dept.id, dept.name, dept.type, "xywy"),
             Fact(gout.id, gout.name, RelType.HAS_SYMPTOM, sym.id, sym.name, sym.type, "xywy")]
    card = build_card(EntityCard(entity=gout, facts=facts))
    assert [r.label for r in card.summary] == ["别名"] and card.summary[0].values[0].text == "痛风病"
    keys = [s.key for s in card.sections]
    assert keys == ["overview", "symptom", "check", "drug", "complication", "department", "prevention"]
    secs = {s.key: s for s in card.sections}
    assert secs["department"].items[0].name == "风湿免疫科" and secs["prevention"].texts[0].text == "少饮酒。"
    assert secs["check"].empty_text.startswith("知识库未收录") and not secs["symptom"].empty_text


def test_rank_items_by_datasets_then_name() -> None:
    items = [CardItem(name="b", datasets=["x"]), CardItem(name="a", datasets=["x"]), CardItem(name="c", datasets=["x", "y"])]
    assert [i.name for i in rank_items(items)] == ["c", "a", "b"]


def test_load_card_reads_every_fact_and_resolves_names(tmp_path: Path) -> None:
    settings = build_graph(tmp_path)
    from kg.stores.ladybug import LadybugStore

    store = LadybugStore(settings.graph_path, read_only=True)
    try:
        raw = load_card(store, entity_id_of(DRUG))
        assert raw is not None
        card = build_card(raw)
        assert card.entity.name == DRUG and card.sections[0].key == "indication"
        refs = resolve_names(store, ["痛风", "不存在的病", "非布司他"])
        assert [(r.name, r.id) for r in refs] == [("痛风", entity_id_of("痛风")), ("非布司他", entity_id_of(DRUG))]
    finally:
        store.close()
