"""The clinician's monograph: fixed sections with 未收录, one support badge, conflicts, plain words,
links at word boundaries, long evidence lists folded."""

from __future__ import annotations

import re

import pytest

from app.card_trust import CONSUMER, HANDBOOK, MACHINE, MISSING_DRUG, MULTI, clean_fragment, support_label
from app.cards import build_card
from kg.schema import Entity, EntityCard, Fact, NodeType, PropSource, RelType
from models.types import Answer, Citation, EntityRef
from tests.ui.conftest import FORBIDDEN
from ui.render import answer_html, card_html, field_label, linked_text

DRUG_SECTIONS = ["适应症", "用法用量", "禁忌", "警示/注意事项", "不良反应", "相互作用", "特殊人群"]
DISEASE_SECTIONS = ["概述", "症状", "检查", "治疗药物", "并发症", "科室"]
def _visible(html: str) -> str:
    """The text a reader sees (tags and attribute values dropped, tooltips kept out)."""
    return re.sub(r"<[^>]+>", " ", html)


def _drug(**props: object) -> Entity:
    return Entity.named("非布司他片", NodeType.DRUG, sources=["cmekg"], properties=dict(props))


def _fact(e: Entity, rel: RelType, target: str, ds: str, ttype: NodeType = NodeType.DISEASE, flag: str = "") -> Fact:
    t = Entity.named(target, ttype)
    return Fact(e.id, e.name, rel, t.id, t.name, ttype, ds, flag=flag)


def test_drug_monograph_has_every_section_and_says_what_is_missing() -> None:
    drug = _drug(OTC类型="甲类OTC", 药品监管分级="麻醉药品", 不良反应="纵隔：支气管炎")
    facts = [_fact(drug, RelType.INDICATED_FOR, "痛风", "cmekg"),
             _fact(drug, RelType.ADVERSE_REACTION, "尿酸", "cmekg", NodeType.CHECK, flag="lab_analyte")]
    card = build_card(EntityCard(entity=drug, facts=facts))
    assert [s.title for s in card.sections] == DRUG_SECTIONS
    secs = {s.title: s for s in card.sections}
    for title in ("用法用量", "禁忌", "警示/注意事项", "相互作用"):
        assert secs[title].empty_text == MISSING_DRUG
    assert [p.label for p in secs["特殊人群"].parts] == ["妊娠", "哺乳", "儿童", "老年", "肝/肾功能"]
    out = card_html(card)
    text = _visible(out)
    assert text.count(MISSING_DRUG) >= 4 + 5  # four sections and five populations
    for word in FORBIDDEN:
        assert word not in text, word
    assert "…支气管炎" in text and "来源可信度低" in text and "检验项目" in text
    assert "常见在前" not in text  # only one adverse reaction: nothing to order
    rows = {r.label: r for r in card.summary}  # regulatory fields from one machine extraction: labelled
    assert rows["OTC/处方"].values[0].support == MACHINE == rows["监管分级"].values[0].support
    assert out.count(f">{MACHINE}<") >= 2


def test_special_populations_come_from_the_drug_texts() -> None:
    drug = _drug(注意事项="1、孕妇禁用。2、哺乳期妇女慎用。老年患者应减量。", 用法用量="肾功能不全者减量，口服一次40mg。")
    pop = next(s for s in build_card(EntityCard(entity=drug)).sections if s.key == "population")
    by = {p.label: [v.text for v in p.values] for p in pop.parts}
    assert by["妊娠"] == ["孕妇禁用。"] and by["哺乳"] and by["老年"] and by["肝/肾功能"] and by["儿童"] == []


def test_disease_monograph_and_alias_that_is_a_complication() -> None:
    gout = Entity.named("痛风", NodeType.DISEASE, aliases=["痛风性肾病", "历节风"], sources=["xywy", "cmekg"])
    facts = [_fact(gout, RelType.COMPLICATION, "痛风性肾病", "xywy"),
             _fact(gout, RelType.HAS_SYMPTOM, "关节痛", "xywy", NodeType.SYMPTOM),
             _fact(gout, RelType.HAS_SYMPTOM, "关节痛", "cmekg", NodeType.SYMPTOM)]
    card = build_card(EntityCard(entity=gout, facts=facts))
    assert [s.title for s in card.sections] == DISEASE_SECTIONS
    assert card.summary[0].values[0].text == "历节风" and card.heading == "疾病信息"
    symptom = next(s for s in card.sections if s.key == "symptom")
    assert symptom.items[0].support == MULTI == symptom.support
    text = _visible(card_html(card))
    assert text.count("知识库未收录") == 4  # 概述, 检查, 治疗药物, 科室


@pytest.mark.parametrize(("datasets", "label"), [(["caregpt"], HANDBOOK), (["cmekg"], MACHINE),
                                                 (["xywy"], CONSUMER), (["cmekg", "xywy"], MULTI), ([], "")])
def test_support_label(datasets: list[str], label: str) -> None:
    assert support_label(datasets) == label


def test_conflict_shows_each_value_with_its_source_handbook_first() -> None:
    drug = Entity.named("某药片", NodeType.DRUG, sources=["xywy", "caregpt"],
                        properties={"药品类型": ["甲类OTC", "化学药品"]},
                        property_sources={"药品类型": [PropSource("xywy", value="甲类OTC"),
                                                      PropSource("caregpt", value="化学药品")]})
    card = build_card(EntityCard(entity=drug))
    row = next(r for r in card.summary if r.label == "分类")
    assert row.disagree and [(v.text, v.support) for v in row.values] == [("化学药品", HANDBOOK), ("甲类OTC", CONSUMER)]
    text = _visible(card_html(card))
    assert "来源不一致" in text and "（药品手册）" in text and "（寻医问药）" in text


def test_clean_fragment() -> None:
    assert clean_fragment("纵隔：支气管炎") == "…支气管炎"
    assert clean_fragment("2、多喝水") == "多喝水"
    assert clean_fragment("口服，一次40mg。") == "口服，一次40mg。"


def test_links_only_whole_words_and_answers_use_plain_words() -> None:
    cold = EntityRef(id="e1", name="感冒", type="Disease")
    out = linked_text("抗感冒药不能治疗感冒。", [cold], set())
    assert out.count('data-entity="e1"') == 1 and out.startswith("抗感冒药")
    assert field_label("对比·分类", "x") == "两药比较：分类" and field_label("检查_截断", "x") == "检查"
    cites = [Citation(index=1, entity="非布司他片", entity_type="Drug", field="ADVERSE_REACTION", source="cmekg",
                      text="非布司他片的不良反应：" + "、".join(f"反应{i}" for i in range(220)) + "（另有3项低置信度条目未列入）",
                      heading="非布司他片的不良反应", items=[f"反应{i}" for i in range(220)])]
    answer = Answer(answer="非布司他片的不良反应：反应0、反应1等220项[1]。", grounded=True, intent="adverse",
                    citations=cites)
    html = answer_html(answer)
    text = _visible(html)
    for word in FORBIDDEN:
        assert word not in text, word
    assert "展开其余 200 项" in html and "（共 220 项）" in html
