"""Intent rules on varied phrasings, type-dependent reversal, and the overview fallback."""

from __future__ import annotations

import pytest

from kg.schema import NodeType
from retrieval.intents import IntentClassifier, implied_types

DRUG, DISEASE, SYMPTOM = NodeType.DRUG, NodeType.DISEASE, NodeType.SYMPTOM

CASES = [
    # drug questions
    ("非布司他片的适应症是什么？", DRUG, "indication"),
    ("医生给我开了兰索拉唑，这个药是治啥的", DRUG, "indication"),
    ("优立通主要用于治疗哪些病", DRUG, "indication"),
    ("阿莫西林有什么用", DRUG, "indication"),
    ("布洛芬能治什么病", DRUG, "indication"),
    ("地屈孕酮片有什么副作用", DRUG, "adverse_reaction"),
    ("吃二甲双胍伤肝吗", DRUG, "adverse_reaction"),
    ("它有哪些不良反应？", DRUG, "adverse_reaction"),
    ("孕妇能吃布洛芬吗", DRUG, "contraindication"),
    ("哪些人不能用阿司匹林", DRUG, "contraindication"),
    ("二甲双胍片怎么吃", DRUG, "usage"),
    ("布洛芬一次吃几粒", DRUG, "usage"),
    ("头孢和酒一起吃会怎样", DRUG, "interaction"),
    ("感冒灵颗粒的成分有哪些", DRUG, "ingredient"),
    # disease questions
    ("得了百日咳会有什么感觉", DISEASE, "symptom"),
    ("糖尿病的临床表现有哪些？", DISEASE, "symptom"),
    ("肺炎早期有什么信号", DISEASE, "symptom"),
    ("怀疑是痛风应该去查什么", DISEASE, "check"),
    ("高血压需要做哪些检查？", DISEASE, "check"),
    ("哪些药物能治疗消化性溃疡？", DISEASE, "drug"),
    ("痛风吃什么药好得快", DISEASE, "drug"),
    ("什么药能治胃炎", DISEASE, "drug"),
    ("甲亢应该挂什么科", DISEASE, "department"),
    ("为什么会得痛风", DISEASE, "cause"),
    ("怎么预防流感", DISEASE, "prevention"),
    ("糖尿病有哪些并发症", DISEASE, "complication"),
    ("痛风不能吃什么", DISEASE, "diet"),
    ("高血压饮食要注意什么", DISEASE, "diet"),
    ("百日咳怎么治疗", DISEASE, "treatment"),
    ("痛风能治愈吗", DISEASE, "prognosis"),
    ("糖尿病多久能好", DISEASE, "prognosis"),
    ("痛风的发病率是多少", DISEASE, "prevalence"),
    ("哪些人容易得痛风", DISEASE, "prevalence"),
    # topics the graph has no data for: chosen by keyword, answered with an honest "not in the graph"
    ("非布司他片多少钱一盒", DRUG, "cost"),
    ("痛风治疗费用大概多少", DISEASE, "cost"),
    ("治疗痛风哪家医院最好", DISEASE, "referral"),
    ("非布司他片医保能报销吗", DRUG, "insurance"),
    ("非布司他片是哪个公司生产的", DRUG, "manufacturer"),
    ("阿莫西林胶囊的批准文号", DRUG, "approval"),
    ("非布司他片的保质期是多久", DRUG, "shelf_life"),
    # symptom questions are reversed to diseases / drugs
    ("哪些病会引起头痛", SYMPTOM, "disease_of_symptom"),
    ("咳嗽可能是什么病", SYMPTOM, "disease_of_symptom"),
    ("头晕吃什么药", SYMPTOM, "drug"),
]


@pytest.mark.parametrize(("question", "etype", "intent"), CASES)
def test_rule_intents(question: str, etype: NodeType, intent: str) -> None:
    assert IntentClassifier().classify(question, etype).name == intent


def test_symptom_questions_about_a_symptom_are_reverse() -> None:
    got = IntentClassifier().classify("哪些病会引起头痛", SYMPTOM)
    assert got.reverse and got.name == "disease_of_symptom"
    assert IntentClassifier().classify("头痛有什么症状", SYMPTOM).reverse


def test_unknown_phrasing_without_embedder_falls_back_to_overview() -> None:
    got = IntentClassifier().classify("说说非布司他片", DRUG, "非布司他片")
    assert got.name == "overview" and got.method == "default"


def test_implied_types_prefer_drugs_for_drug_questions() -> None:
    assert implied_types("头痛片有什么副作用", IntentClassifier())[0] == DRUG
    assert implied_types("头痛需要做哪些检查", IntentClassifier())[0] == DISEASE
