"""Class-level population safety rules (retrieval.safety.population_classes) and how they meet a product's
own label (retrieval.safety.population.combine), the disease filter (retrieval.safety.patient) and the pool of
population forms of a disease (retrieval.safety.population_pool)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from kg.schema import Direction, Entity, Fact, NodeType, RelType
from retrieval.evidence.candidates import population_base
from retrieval.safety.can_take import can_take
from retrieval.safety.patient import CLASS_FIELD, POPULATION_FIELD, filter_drug_facts
from retrieval.safety.population import BY_KEY, SafetyVerdict, Verdict, combine, detect, verdict_for
from retrieval.safety.population_classes import DATASET, RULES, class_reader, class_rule
from retrieval.safety.population_pool import population_pool, variant_names

_ATC_PREFIX = re.compile(r"^[A-Z](?:\d{2}(?:[A-Z](?:[A-Z](?:\d{2})?)?)?)?$")


def test_the_table_is_broad_and_every_rule_is_citable() -> None:
    assert len(RULES) >= 60
    for key in ("pregnancy", "lactation", "children", "elderly", "kidney", "liver"):
        assert sum(r.population == key for r in RULES) >= 8, key
    for r in RULES:
        assert r.population in BY_KEY and r.label and r.reason and r.ref
        assert r.codes or r.names, r.label  # something to match on
        assert all(_ATC_PREFIX.match(c) for c in r.codes), r.codes
        assert not r.preferred or r.verdict == Verdict.ALLOWED  # a first choice is never banned


@pytest.mark.parametrize(("pop", "name", "codes", "verdict"), [
    ("pregnancy", "卡托普利片", ["C09AA"], Verdict.CONTRAINDICATED),  # by class code
    ("pregnancy", "某某沙坦胶囊", [], Verdict.CONTRAINDICATED),  # by the INN stem, no class edge
    ("pregnancy", "复方磷酸可待因糖浆", [], Verdict.CONTRAINDICATED),  # a combination with codeine
    ("pregnancy", "氢溴酸右美沙芬片", ["R05DA"], Verdict.CAUTION),  # not every R05DA is codeine
    ("pregnancy", "盐酸拉贝洛尔片", ["C07AG"], Verdict.ALLOWED),
    ("children", "盐酸左氧氟沙星片", ["J01MA"], Verdict.CONTRAINDICATED),
    ("children", "阿司匹林肠溶片", ["B01AC"], Verdict.CONTRAINDICATED),
    ("lactation", "复方氨酚烷胺片", [], Verdict.CONTRAINDICATED),  # amantadine inside a cold remedy
    ("elderly", "地西泮片", ["N05BA"], Verdict.CONTRAINDICATED),  # long-acting: avoid
    ("elderly", "艾司唑仑片", ["N05CD"], Verdict.CAUTION),
    ("kidney", "盐酸二甲双胍片", ["A10BA"], Verdict.CONTRAINDICATED),
    ("kidney", "利格列汀片", ["A10BH"], Verdict.ALLOWED),  # its own rule beats the DPP-4 class caution
    ("kidney", "格列喹酮片", ["A10BB"], Verdict.ALLOWED),  # the sulfonylurea kept in kidney impairment
    ("kidney", "依普利酮片", ["C03DA"], Verdict.CAUTION),  # 普利酮 is no ACE inhibitor
])
def test_rules_match_by_class_code_or_generic_name(pop: str, name: str, codes: list[str], verdict: Verdict) -> None:
    rule = class_rule(pop, name, codes)
    assert rule is not None and rule.verdict == verdict, (name, rule)


def test_no_rule_is_no_verdict() -> None:
    assert class_rule("pregnancy", "止咳糖浆", []) is None
    assert class_rule("pregnancy", "依普利酮片", ["C03DA"]) is None


def _v(verdict: Verdict, field: str = "注意事项", preferred: bool = False) -> SafetyVerdict:
    return SafetyVerdict("d", "药", "pregnancy", verdict, "句子", field, "cmekg", preferred)


def test_the_label_decides_when_explicit_and_a_class_ban_is_not_lifted_by_a_caution() -> None:
    ban, first = _v(Verdict.CONTRAINDICATED, CLASS_FIELD), _v(Verdict.ALLOWED, CLASS_FIELD, preferred=True)
    assert combine(_v(Verdict.UNKNOWN, ""), ban) is ban  # the label is silent: the class speaks
    assert combine(_v(Verdict.CONTRAINDICATED), first).verdict == Verdict.CONTRAINDICATED  # label ban wins
    assert combine(_v(Verdict.CAUTION), ban) is ban  # "孕妇慎用" on an ACE inhibitor does not lift the ban
    assert combine(_v(Verdict.ALLOWED, "用法用量"), ban) is ban  # a dose table is no permission
    assert combine(_v(Verdict.ALLOWED), ban).field == "注意事项"  # an explicit 可用 sentence is
    kept = combine(_v(Verdict.CAUTION), first)
    assert kept.verdict == Verdict.CAUTION and kept.preferred and kept.positive


ACEI = Entity.named("卡托普利片", NodeType.DRUG, properties={"禁忌": "对本品过敏者禁用"}, described=True, sources=["cmekg"])
LABETALOL = Entity.named("盐酸拉贝洛尔片", NodeType.DRUG, properties={"注意事项": "孕妇慎用。"}, described=True,
                         sources=["cmekg"])
SYRUP = Entity.named("降压糖浆", NodeType.DRUG, properties={"用法用量": "口服，一次10ml"}, described=True, sources=["xywy"])
HTN = Entity.named("高血压", NodeType.DISEASE, described=True, sources=["xywy"])
CODES = {ACEI.id: ["C09AA"], LABETALOL.id: ["C07AG"]}
_BY_ID = {e.id: e for e in (ACEI, LABETALOL, SYRUP)}


def _fact(drug: Entity, disease: Entity = HTN) -> Fact:
    return Fact(disease.id, disease.name, RelType.TREATED_BY, drug.id, drug.name, NodeType.DRUG, "xywy", "common_drug",
                Direction.OUT)


def _read(ids: Sequence[str]) -> list[Entity]:
    return [_BY_ID[i] for i in ids if i in _BY_ID]


def test_verdict_for_reads_the_class_rule_when_the_label_is_silent() -> None:
    reader = class_reader(lambda d: CODES.get(d.id, []))
    v = verdict_for(ACEI, BY_KEY["pregnancy"], by_class=reader)
    assert v.verdict == Verdict.CONTRAINDICATED and v.source == DATASET and v.field == CLASS_FIELD
    assert verdict_for(ACEI, BY_KEY["pregnancy"]).verdict == Verdict.UNKNOWN  # without the table


def test_a_class_banned_product_leaves_the_list_and_is_cited_as_a_class_rule() -> None:
    reader = class_reader(lambda d: CODES.get(d.id, []))
    facts = [_fact(ACEI), _fact(SYRUP), _fact(LABETALOL)]
    kept, notes, lead = filter_drug_facts(facts, HTN, detect("孕妇高血压吃什么药"), _read,
                                          lambda e, p: ",".join(e.sources), by_class=reader)
    assert [f.target_name for f in kept] == ["降压糖浆", "盐酸拉贝洛尔片"]
    assert lead == {LABETALOL.id: 2.0}  # a class first choice leads, even with a 慎用 label
    rule = next(n for n in notes if n.field.endswith(CLASS_FIELD))
    assert rule.field.startswith(POPULATION_FIELD) and rule.source == DATASET
    assert "按药物类别禁用：卡托普利" in rule.text and "血管紧张素转换酶抑制剂" in rule.text
    label_note = next(n for n in notes if not n.field.endswith(CLASS_FIELD))
    assert DATASET not in label_note.source and "慎用：盐酸拉贝洛尔片" in label_note.text


# -- the pool: population forms of a disease and the base of a population form ----------------------
PREG_HTN = Entity.named("妊娠期高血压", NodeType.DISEASE, described=True, sources=["xywy"])
PREG_UTI = Entity.named("妊娠期尿路感染", NodeType.DISEASE, described=True, sources=["xywy"])
UTI = Entity.named("尿路感染", NodeType.DISEASE, described=True, sources=["xywy"])
_NODES = {e.name: e for e in (PREG_HTN, UTI, HTN)}
_DRUGS = {PREG_HTN.id: [_fact(LABETALOL, PREG_HTN)], UTI.id: [_fact(SYRUP, UTI)], HTN.id: [_fact(ACEI)]}


def test_names_of_population_forms() -> None:
    preg = detect("孕妇高血压")
    assert "妊娠期高血压" in variant_names("高血压", preg)
    assert variant_names("妊娠期高血压", preg) == []  # already a population form
    assert population_base("妊娠期尿路感染").base == "尿路感染" and population_base("小儿哮喘").base == "哮喘"
    assert population_base("尿路感染") is None and population_base("小儿热") is None  # 热 is too short
    assert population_base("小儿哮喘", ["pregnancy"]) is None  # limited to the asked populations


def test_the_population_form_of_the_disease_joins_the_pool_and_leads() -> None:
    extra = population_pool(HTN, detect("孕妇高血压"), [_fact(ACEI)], _NODES.get, lambda e: _DRUGS.get(e.id, []))
    assert [f.target_name for f in extra.facts] == ["盐酸拉贝洛尔片"] and extra.lead == {LABETALOL.id: 1.0}
    assert extra.notes == []


def test_a_population_form_without_drugs_falls_back_to_its_base_disease_and_says_so() -> None:
    extra = population_pool(PREG_UTI, detect("孕妇尿路感染"), [], _NODES.get, lambda e: _DRUGS.get(e.id, []))
    assert [f.target_name for f in extra.facts] == ["降压糖浆"]
    (note,) = extra.notes
    assert "尿路感染的药物" in note.text and "孕妇" in note.text and note.field.startswith(POPULATION_FIELD)


def test_no_population_no_pool() -> None:
    assert population_pool(HTN, [], [], _NODES.get, lambda e: _DRUGS.get(e.id, [])).facts == []


def test_can_take_falls_back_to_the_class_rule_and_says_it_is_one() -> None:
    reader = class_reader(lambda d: CODES.get(d.id, []))
    (item,) = can_take(ACEI, [], [BY_KEY["pregnancy"]], lambda e, p: ",".join(e.sources), by_class=reader)
    assert item.text.startswith("孕妇能否使用卡托普利片：不建议使用（禁用）")
    assert "按药物类别规则：血管紧张素转换酶抑制剂" in item.text and "说明书未写明" in item.text
    assert item.source == DATASET
    (silent,) = can_take(SYRUP, [], [BY_KEY["pregnancy"]], lambda e, p: ",".join(e.sources), by_class=reader)
    assert "未收录" in silent.text  # no label, no rule: never read as safe


def test_the_salience_hook_puts_what_the_population_may_use_first() -> None:
    from retrieval.evidence.salience import Candidate, Generic, _lead_population

    def generic(name: str, score: float) -> Generic:
        return Generic(name, [Candidate(f"{name}片", f"id-{name}", frozenset())], score, False)

    generics = [generic("依那普利", 3.0), generic("氢氯噻嗪", 2.0), generic("拉贝洛尔", 1.0)]
    _lead_population(generics, {"id-拉贝洛尔": 2.0, "id-氢氯噻嗪": 1.0})
    assert [g.name for g in generics] == ["拉贝洛尔", "氢氯噻嗪", "依那普利"]  # first choice, may use, the rest
