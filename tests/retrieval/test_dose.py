"""Dose questions (retrieval.evidence.dose): the asked sentence of 用法用量 first, never a 规格 in its place."""

from __future__ import annotations

import pytest

from kg.schema import Entity, NodeType
from retrieval.evidence.dose import MISSING_FIELD, asked, for_dose, pick
from retrieval.types import Evidence
from tests.conftest import make_evidence

PARACETAMOL = ("1.成人口服：0.5～1.0g，每天3～4次。2.儿童用量：6～12岁，每次口服0.25～0.5g，每天3～4次。"
               "3.成人每天最大量不超过2g。")
COLCHICINE = ("1.静脉滴注：每次1～2mg加入葡萄糖注射剂中缓慢滴注，每天1次。"
              "3.口服：痛风发作时口服片剂每次1mg，以后每2小时服0.5mg。")


@pytest.mark.parametrize(("question", "text", "first"), [
    ("对乙酰氨基酚一天吃几次", PARACETAMOL, "1.成人口服"),
    ("对乙酰氨基酚一天最多吃多少", PARACETAMOL, "3.成人每天最大量"),
    ("对乙酰氨基酚儿童用量是多少", PARACETAMOL, "2.儿童用量"),
    ("秋水仙碱怎么吃", COLCHICINE, "3.口服"),
    ("秋水仙碱静脉注射用多少", COLCHICINE, "1.静脉滴注"),
])
def test_the_asked_sentence_leads(question: str, text: str, first: str) -> None:
    picked, rest = pick(text, asked(question))
    assert picked and picked[0].startswith(first)
    assert len(picked) + len(rest) == len([s for s in text.split("。") if s])


def _usage(entity: Entity, field: str, body: str) -> Evidence:
    return make_evidence(index=0, entity_id=entity.id, entity_name=entity.name, entity_type="Drug", field=field,
                    text=f"{entity.name}的{field}：{body}", source="cmekg")


def test_a_product_without_dose_text_uses_the_same_ingredients_labelled() -> None:
    tablet = Entity.named("对乙酰氨基酚片", NodeType.DRUG, described=True, sources=["cmekg"])
    handbook = Entity.named("对乙酰氨基酚", NodeType.DRUG, properties={"用法用量": PARACETAMOL}, described=True,
                            sources=["caregpt"])
    out = for_dose("对乙酰氨基酚片一天吃几次", tablet, "usage", [_usage(tablet, "规格", "0.5g")], [handbook])
    assert out[0].text.startswith("对乙酰氨基酚（同成分）的用法用量：1.成人口服")
    assert out[1].field == "规格"


def test_no_dose_text_anywhere_is_said_before_the_strength() -> None:
    tablet = Entity.named("阿奇霉素片", NodeType.DRUG, described=True, sources=["cmekg"])
    out = for_dose("阿奇霉素一天吃几次", tablet, "usage", [_usage(tablet, "规格", "0.25g")], [])
    assert out[0].field == MISSING_FIELD and "未收录" in out[0].text
    assert out[1].field == "规格"


def test_other_intents_are_untouched() -> None:
    tablet = Entity.named("阿奇霉素片", NodeType.DRUG, described=True, sources=["cmekg"])
    items = [_usage(tablet, "适应症", "支气管炎")]
    assert for_dose("阿奇霉素片治什么", tablet, "indication", items, []) is items
