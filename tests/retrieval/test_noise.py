"""Contradictions and noise in a drug's own lists (retrieval.evidence.noise, kg.contradictions)."""

from __future__ import annotations

from kg.contradictions import contra_sentence
from kg.schema import Direction, Entity, Fact, NodeType, RelType
from retrieval.evidence import facts_to_evidence
from retrieval.evidence.noise import (
    ALSO_ADVERSE,
    CONTRA_SELF,
    GENERIC,
    TCM_ACTION,
    TCM_PATTERN,
    DrugContext,
    judge,
)
from retrieval.evidence.ranking import rank


def test_a_contraindication_sentence_names_the_condition_unless_negated_or_excepted() -> None:
    text = "1.前列腺癌、乳腺癌患者及可疑者禁用。2.非缺铁性贫血患者禁用。3.对本品过敏者禁用；脑血管意外(伴弥散性血管内凝血时除外)"
    assert contra_sentence("乳腺癌", text) == "1.前列腺癌、乳腺癌患者及可疑者禁用"
    assert contra_sentence("缺铁性贫血", text) == ""  # 非缺铁性贫血 is another condition
    assert contra_sentence("过敏", text) == ""  # an allergy to the drug, not the condition 过敏
    assert contra_sentence("弥散性血管内凝血", text) == ""


def test_judge_flags() -> None:
    ctx = DrugContext("乳腺癌患者禁用。", {"支气管痉挛"}, western=True)
    assert judge("乳腺癌", 3, ctx)[0] == CONTRA_SELF
    assert judge("支气管痉挛", 1, ctx)[0] == ALSO_ADVERSE
    assert judge("支气管痉挛", 2, ctx)[0] == ""  # corroborated by another source: may lead
    assert judge("疼痛", 3, ctx)[0] == GENERIC
    assert judge("肝肾阴虚", 1, ctx)[0] == TCM_PATTERN
    assert judge("肝肾阴虚", 1, DrugContext(western=False))[0] == ""  # a patent medicine's own vocabulary
    assert judge("温肺化饮", 3, DrugContext(western=False))[0] == TCM_ACTION  # what it does, not a condition


def _fact(target: str, ds: str = "cmekg") -> Fact:
    return Fact("d1", "十一酸睾酮软胶囊", RelType.INDICATED_FOR, f"id-{target}", target, NodeType.DISEASE, ds,
                "适应症", Direction.OUT)


def test_contradicted_indications_are_held_back_and_generic_ones_do_not_lead() -> None:
    facts = [_fact("疼痛"), _fact("疼痛", "caregpt"), _fact("乳腺癌"), _fact("乳腺癌", "caregpt"),
             _fact("再生障碍性贫血"), _fact("再生障碍性贫血", "caregpt"), _fact("无睾症")]
    ctx = DrugContext("前列腺癌、乳腺癌患者及可疑者禁用。", set(), western=True)
    ranked = rank(facts, family="treats", context=ctx)
    assert ranked.names == ["再生障碍性贫血", "疼痛", "无睾症"]
    assert [i.name for i in ranked.held] == ["乳腺癌"] and ranked.flagged == 1
    drug = Entity.named("十一酸睾酮软胶囊", NodeType.DRUG, described=True)
    [ev] = facts_to_evidence(drug, facts, context=ctx)
    assert "乳腺癌见于本品禁忌，未列为适应症" in ev.text and "乳腺癌" not in (ev.target_name or "")
    held = next(i for i in ev.items if i.name == "乳腺癌")
    assert held.flag == CONTRA_SELF and "禁用" in held.reason
