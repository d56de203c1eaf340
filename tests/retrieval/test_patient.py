"""Evidence for the patient asked about (retrieval.safety.patient): filtered lists and verdicts first."""

from __future__ import annotations

from collections.abc import Sequence

from kg.schema import Entity, NodeType
from retrieval.safety.can_take import VERDICT_FIELD, condition_evidence
from retrieval.safety.patient import (
    CAUTION_MARK,
    POPULATION_FIELD,
    PatientReads,
    for_patient,
)
from retrieval.types import Evidence
from tests.conftest import make_evidence

CODEINE = Entity.named("磷酸可待因片", NodeType.DRUG, properties={"禁忌": "孕妇及哺乳期妇女禁用"}, described=True,
                       sources=["cmekg"])
DEXTRO = Entity.named("右美沙芬片", NodeType.DRUG, properties={"注意事项": "妊娠3个月内妇女禁用，孕妇慎用"},
                      described=True, sources=["cmekg"])
AMBROXOL = Entity.named("氨溴索片", NodeType.DRUG, properties={"注意事项": "孕妇慎用。"}, described=True,
                        sources=["cmekg"])
SYRUP = Entity.named("止咳糖浆", NodeType.DRUG, properties={"用法用量": "口服，一次10ml，一日3次"}, described=True,
                     sources=["cmekg"])
COUGH = Entity.named("咳嗽", NodeType.DISEASE, described=True, sources=["xywy"])
DRUGS = {e.id: e for e in (CODEINE, DEXTRO, AMBROXOL, SYRUP)}


def _reads(related: dict[str, list[Entity]] | None = None) -> PatientReads:
    def entities(ids: Sequence[str]) -> list[Entity]:
        return [DRUGS[i] for i in ids if i in DRUGS]

    return PatientReads(drug_ids=lambda e: {d.name: d.id for d in DRUGS.values()}, entities=entities,
                        related=lambda d: (related or {}).get(d.name, []), source=lambda e, p: ",".join(e.sources))


def _drug_list() -> list[Evidence]:
    names = "、".join(d.name for d in (CODEINE, AMBROXOL, SYRUP, DEXTRO))
    return [make_evidence(index=0, entity_id=COUGH.id, entity_name="咳嗽", entity_type="Disease", field="TREATED_BY",
                     text=f"咳嗽的治疗药物：{names}", source="xywy", target_name=names, score=4, reliable=4)]


def test_a_treatment_question_without_population_is_untouched() -> None:
    items = _drug_list()
    assert for_patient("咳嗽吃什么药？", "咳嗽", COUGH, "drug", items, _reads()) is items


def test_contraindicated_drugs_leave_the_list_and_are_named_apart() -> None:
    out = for_patient("孕妇咳嗽吃什么药？", "咳嗽", COUGH, "drug", _drug_list(), _reads())
    lst = next(e for e in out if e.field == "TREATED_BY")
    items = (lst.target_name or "").split("、")
    assert "磷酸可待因片" not in items and "右美沙芬片" not in items  # 妊娠3个月内禁用 is 禁用
    assert f"氨溴索片{CAUTION_MARK}" in items and "止咳糖浆" in items
    assert "孕妇" in lst.text.partition("：")[0]
    note = next(e for e in out if e.field.startswith(POPULATION_FIELD))
    assert out.index(note) == out.index(lst) + 1  # the answer first, then what was left out
    assert "说明书标明孕妇禁用：磷酸可待因片" in note.text and "未收录" in note.text


def test_no_label_speaking_of_the_population_says_safety_cannot_be_confirmed() -> None:
    names = "止咳糖浆"
    items = [make_evidence(index=0, entity_id=COUGH.id, entity_name="咳嗽", entity_type="Disease", field="TREATED_BY",
                      text=f"咳嗽的治疗药物：{names}", source="xywy", target_name=names)]
    out = for_patient("哺乳期咳嗽吃什么药", "咳嗽", COUGH, "drug", items, _reads())
    note = next(e for e in out if e.field.startswith(POPULATION_FIELD))
    assert "无法确认" in note.text and "哺乳期妇女" in note.text


def test_can_take_answers_with_a_verdict_first() -> None:
    rest = [make_evidence(index=0, entity_id=CODEINE.id, entity_name=CODEINE.name, entity_type="Drug", field="禁忌",
                     text="磷酸可待因片的禁忌：孕妇及哺乳期妇女禁用", source="cmekg")]
    out = for_patient("孕妇能吃可待因吗", "可待因", CODEINE, "contraindication", rest, _reads())
    assert out[0].field.startswith(VERDICT_FIELD)
    assert out[0].text.startswith("孕妇能否使用磷酸可待因片：不建议使用") and "孕妇及哺乳期妇女禁用" in out[0].text
    assert "。" not in out[0].text  # one sentence: a generator quoting matching sentences keeps it whole


def test_missing_safety_text_is_said_never_implied_safe() -> None:
    out = for_patient("孕妇能吃止咳糖浆吗", "止咳糖浆", SYRUP, "contraindication", [], _reads())
    assert "未收录" in out[0].text and "不能视为安全" in out[0].text


def test_the_same_ingredient_label_answers_when_the_product_has_none() -> None:
    handbook = Entity.named("可待因", NodeType.DRUG, properties={"禁忌证": "1.孕妇。2.哺乳期妇女。"}, described=True,
                            sources=["caregpt"])
    bare = Entity.named("可待因缓释片", NodeType.DRUG, described=True, sources=["cmekg"])
    out = for_patient("孕妇能用可待因缓释片吗", "可待因缓释片", bare, "contraindication", [],
                      _reads({"可待因缓释片": [handbook]}))
    assert "不建议" in out[0].text and "可待因（同成分）的禁忌证" in out[0].text


def test_a_penicillin_allergy_reads_the_class_sentences_of_a_cephalosporin() -> None:
    cef = Entity.named("头孢克洛胶囊", NodeType.DRUG, described=True, sources=["cmekg"],
                       properties={"禁忌": "对头孢菌素类过敏者禁用", "注意事项": "对青霉素类药物过敏者慎用。"})
    out = condition_evidence("青霉素过敏能用头孢克洛吗", cef, "头孢克洛", [], [("青霉素过敏", ["青霉素过敏"])],
                             lambda e, p: "cmekg")
    assert out[0].text.startswith("青霉素过敏者能否使用头孢克洛胶囊：需慎用")
    assert any("对青霉素类药物过敏者慎用" in e.text for e in out[1:])


def test_a_condition_that_is_a_population_uses_its_wider_wording() -> None:
    met = Entity.named("二甲双胍", NodeType.DRUG, described=True, sources=["caregpt"],
                       properties={"禁忌证": "1.肾衰竭或肌酐清除率异常者。"})
    out = condition_evidence("肾功能不全能用二甲双胍吗", met, "二甲双胍", [], [("肾功能不全", ["肾功能不全", "肾功能"])],
                             lambda e, p: "caregpt")
    assert out[0].text.startswith("肾功能不全者能否使用二甲双胍：不建议使用")


def test_a_population_word_linked_as_a_disease_yields_to_the_disease_asked_about() -> None:
    from retrieval.safety.patient import condition_over_population
    from retrieval.types import LinkedEntity

    kidney = LinkedEntity(id="k", name="肾功能不全", type="Disease", mention="肾功能不全", score=1.0)
    diabetes = LinkedEntity(id="d", name="糖尿病", type="Disease", mention="糖尿病", score=1.0)
    assert condition_over_population([kidney, diabetes], kidney, 0.6) is diabetes
    elderly_htn = LinkedEntity(id="e", name="老年人高血压", type="Disease", mention="老年人高血压", score=1.0)
    assert condition_over_population([elderly_htn], elderly_htn, 0.6) is elderly_htn


def test_truncated_drug_names_are_not_offered_to_a_population() -> None:
    items = [*_drug_list(), make_evidence(index=0, entity_id=COUGH.id, entity_name="咳嗽", entity_type="Disease",
                                     field="常用药物_截断", text="咳嗽的常用药物（原文名称不全）：磷酸可待因...",
                                     source="39health")]
    out = for_patient("孕妇咳嗽吃什么药？", "咳嗽", COUGH, "drug", items, _reads())
    assert all(e.field != "常用药物_截断" for e in out)


def test_one_products_ban_keeps_the_whole_ingredient_out_of_a_grouped_list() -> None:
    """Products are judged one by one before the list is grouped by generic: 磷酸可待因片's 孕妇禁用
    also keeps 可待因糖浆 (a label that says nothing) out, since the group would show 可待因 again."""
    from kg.schema import Direction, Entity, Fact, NodeType, RelType
    from retrieval.safety.patient import filter_drug_facts
    from retrieval.safety.population import detect

    disease = Entity.named("咳嗽", NodeType.DISEASE, described=True)
    drugs = {n: Entity.named(n, NodeType.DRUG, properties=p, described=True) for n, p in {
        "磷酸可待因片": {"禁忌": "孕妇及哺乳期妇女禁用。"}, "可待因糖浆": {"用法用量": "口服。"},
        "盐酸氨溴索片": {"注意事项": "妊娠期妇女慎用。"}}.items()}
    facts = [Fact(disease.id, disease.name, RelType.TREATED_BY, d.id, d.name, NodeType.DRUG, "xywy",
                  direction=Direction.OUT) for d in drugs.values()]
    by_id = {d.id: d for d in drugs.values()}
    kept, notes, _lead = filter_drug_facts(facts, disease, detect("孕妇咳嗽吃什么药"),
                                    lambda ids: [by_id[i] for i in ids if i in by_id], lambda e, p: "cmekg")
    assert [f.target_name for f in kept] == ["盐酸氨溴索片"]
    assert "禁用：磷酸可待因片" in notes[0].text and "慎用：盐酸氨溴索片" in notes[0].text
