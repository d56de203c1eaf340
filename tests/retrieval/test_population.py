"""Population verdicts from a drug's own label text (retrieval.safety.population), clause by clause."""

from __future__ import annotations

import pytest

from kg.schema import Entity, NodeType
from retrieval.safety.population import BY_KEY, Verdict, classify_text, detect, filter_candidates, verdict_for


def _drug(name: str, **props: str) -> Entity:
    return Entity.named(name, NodeType.DRUG, properties=dict(props), sources=["caregpt"], described=True)


@pytest.mark.parametrize(("question", "keys"), [
    ("孕妇咳嗽吃什么药？", ["pregnancy"]),
    ("哺乳期妇女失眠能吃什么药？", ["lactation"]),
    ("儿童腹泻吃什么药？", ["children"]),
    ("8岁以下儿童能用四环素吗？", ["children"]),
    ("老年人高血压吃什么药？", ["elderly"]),
    ("肾功能不全的糖尿病人吃什么药？", ["kidney"]),
    ("肝硬化病人能吃对乙酰氨基酚吗", ["liver"]),
    ("过敏体质能吃阿莫西林吗", ["allergic"]),
    ("高血压吃什么药？", []),
])
def test_populations_are_found_in_the_question(question: str, keys: list[str]) -> None:
    assert [p.key for p in detect(question)] == keys


def test_a_drug_name_is_not_a_population() -> None:
    assert detect("小儿氨酚黄那敏颗粒能吃吗", ["小儿氨酚黄那敏颗粒"]) == []


@pytest.mark.parametrize(("key", "text", "default", "verdict"), [
    ("pregnancy", "孕妇及哺乳期妇女禁用。", Verdict.CAUTION, Verdict.CONTRAINDICATED),
    ("lactation", "孕妇及哺乳期妇女禁用。", Verdict.CAUTION, Verdict.CONTRAINDICATED),
    ("pregnancy", "孕妇慎用，哺乳期妇女禁用。", Verdict.CAUTION, Verdict.CAUTION),
    ("lactation", "哺乳期妇女使用时，应暂停哺乳。", Verdict.CAUTION, Verdict.CONTRAINDICATED),
    # a 禁忌 text lists who must not take the drug: a bare item is 禁用
    ("pregnancy", "以下患者禁用。1.对本品过敏者。3.孕妇、哺乳期妇女。", Verdict.CONTRAINDICATED,
     Verdict.CONTRAINDICATED),
    # in 注意事项 a 慎用 heading governs its items
    ("kidney", "1.慎用：(1)不稳定型心绞痛；(5)肾功能损害者；(6)孕妇及哺乳期妇女。2.择期手术", Verdict.CAUTION,
     Verdict.CAUTION),
    ("children", "请将本品放在儿童不能接触的地方", Verdict.CAUTION, Verdict.UNKNOWN),
    ("children", "儿童必须在成人监护下使用。", Verdict.CAUTION, Verdict.CAUTION),
    ("pregnancy", "除孕妇外，均可使用。", Verdict.CAUTION, Verdict.UNKNOWN),
    ("pregnancy", "孕妇不禁用，但应在医师指导下使用。", Verdict.CAUTION, Verdict.CAUTION),
    ("elderly", "老年患者应用时无需调整剂量。", Verdict.CAUTION, Verdict.ALLOWED),
    ("pregnancy", "孕妇及哺乳期妇女用药：尚不明确。", Verdict.CAUTION, Verdict.CAUTION),
    ("pregnancy", "对潜在危险的药物相互作用、痛风、妊娠者为相对禁忌。", Verdict.CONTRAINDICATED, Verdict.CAUTION),
    ("children", "6岁以下儿童不使用。", Verdict.ALLOWED, Verdict.CONTRAINDICATED),
    ("pregnancy", "对本品过敏者禁用。", Verdict.CONTRAINDICATED, Verdict.UNKNOWN),
])
def test_clause_verdicts(key: str, text: str, default: Verdict, verdict: Verdict) -> None:
    got, sentence = classify_text(BY_KEY[key], text, default)
    assert got == verdict
    assert bool(sentence) == (verdict != Verdict.UNKNOWN)


def test_the_heading_travels_with_an_item_sentence() -> None:
    _, sentence = classify_text(BY_KEY["pregnancy"], "1.慎用：(1)哮喘；(6)孕妇及哺乳期妇女。", Verdict.CAUTION)
    assert sentence.startswith("慎用：") and "孕妇" in sentence


def test_the_strongest_verdict_over_the_safety_texts_wins() -> None:
    drug = _drug("某药片", 注意事项="孕妇慎用。", 禁忌="孕妇禁用。")
    v = verdict_for(drug, BY_KEY["pregnancy"])
    assert v.verdict == Verdict.CONTRAINDICATED and v.field == "禁忌" and v.sentence == "孕妇禁用。"


def test_a_childrens_dose_allows_children_but_not_pregnancy() -> None:
    drug = _drug("某颗粒", 用法用量="口服。成人一次2袋，一日3次；儿童一次1袋，一日2次。")
    assert verdict_for(drug, BY_KEY["children"]).verdict == Verdict.ALLOWED
    assert verdict_for(drug, BY_KEY["pregnancy"]).verdict == Verdict.UNKNOWN
    asked = _drug("某片", 用法用量="儿童用量请咨询医师或药师。口服，成人一次1片。")
    assert verdict_for(asked, BY_KEY["children"]).verdict == Verdict.CAUTION


def test_contraindicated_facts_count_as_label_text() -> None:
    drug = _drug("某注射液")
    v = verdict_for(drug, BY_KEY["pregnancy"], contra=lambda d: ("对本品过敏者禁用。孕妇禁用", "cmekg"))
    assert v.verdict == Verdict.CONTRAINDICATED and v.source == "cmekg"


def test_filter_keeps_rank_order_and_leaves_contraindicated_out() -> None:
    drugs = [_drug("甲片", 禁忌="孕妇禁用"), _drug("乙片", 注意事项="孕妇慎用"), _drug("丙片"),
             _drug("丁片", 注意事项="孕妇可以使用")]
    out = filter_candidates(drugs, BY_KEY["pregnancy"])
    assert [v.drug_name for v in out.excluded] == ["甲片"]
    assert [v.drug_name for v in out.kept] == ["乙片", "丙片", "丁片"]
    assert [v.drug_name for v in out.cautioned] == ["乙片"]
    assert [v.drug_name for v in out.confirmed] == ["乙片", "丁片"]
    assert out.checked == 4


def test_a_ban_for_the_youngest_only_limits_the_age_for_children() -> None:
    children = BY_KEY["children"]
    assert classify_text(children, "新生儿禁用。", Verdict.CONTRAINDICATED)[0] == Verdict.CAUTION
    assert classify_text(children, "2岁以下儿童禁用。", Verdict.CONTRAINDICATED)[0] == Verdict.CAUTION
    assert classify_text(children, "12岁以下儿童禁用。", Verdict.CONTRAINDICATED)[0] == Verdict.CONTRAINDICATED
    assert classify_text(children, "婴幼儿禁用。", Verdict.CONTRAINDICATED)[0] == Verdict.CONTRAINDICATED
    text = "药物对儿童的影响：3岁以下儿童及新生儿因肝、肾功能发育不全，应避免使用。"  # a heading names 儿童
    assert classify_text(children, text, Verdict.CAUTION)[0] == Verdict.CAUTION
