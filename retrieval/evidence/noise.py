"""Contradictions and noise in a drug's own lists, judged when the list is ranked.

A drug's indication list is extracted from labels and crawled pages; some items contradict the same
drug's label or are too generic to lead:

- `contraindicated_self`: the drug's own 禁忌 text names the item (十一酸睾酮软胶囊: indication 乳腺癌,
  禁忌 "前列腺癌、乳腺癌患者及可疑者禁用"). Never a plain indication: left out of the list, the
  禁忌 sentence kept as the reason. A negated or qualified mention does not count (非缺铁性贫血 is
  not 缺铁性贫血; 对…过敏 names an allergy, not the condition).
- `also_adverse`: the item is also one of the same drug's adverse reactions and only one source
  states the indication — it may be real (a bronchodilator's paradoxical 支气管痉挛) but it does
  not lead without corroboration.
- `generic`: a single generic word (疼痛, 感染, 刺激, 炎症) — shown last, never first.
- `tcm_action`: an efficacy phrase (温肺化饮, 消炎解毒) the cleaning lexicon does not catch: what a
  medicine does, not a condition — never shown in a drug's indication answer.
- `tcm_pattern`: a TCM pattern or efficacy term (肝肾阴虚, 气滞血瘀, 湿热, 清热解毒) in a Western drug's
  list — shown last.
Flags other than `contraindicated_self` only reorder: every label-supported item stays listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from kg import lexicon
from kg.contradictions import CONTRA_PROPS, contra_sentence
from kg.normalize import normalize_name
from kg.schema import Direction, Entity, Fact, RelType

CONTRA_SELF = "contraindicated_self"
ALSO_ADVERSE = "also_adverse"
GENERIC = "generic"
TCM_PATTERN = "tcm_pattern"
TCM_ACTION = "tcm_action"  # an efficacy phrase (温肺化饮, 消炎解毒): what a medicine does, not a condition
#: Flags that only move an item behind the unflagged ones.
DEMOTING = frozenset({ALSO_ADVERSE, GENERIC, TCM_PATTERN, TCM_ACTION})

#: Single words that name no particular condition: fine at the end of a list, never at its head.
GENERIC_ITEMS = frozenset({
    "疼痛", "感染", "刺激", "炎症", "发炎", "不适", "损伤", "肿瘤", "癌", "敏感", "中毒", "虚弱", "硬化",
})
#: TCM pattern words (证型): organ + deficiency/excess, or pathogenic factor + stasis/obstruction.
_TCM_PATTERN = re.compile(
    "(?:[心肝脾肺肾胃胆][肾脾胃肺肝心]?|气血|阴阳|营卫)(?:阴虚|阳虚|气虚|血虚|两虚|不足|亏虚|不和|失调|郁结|火旺|湿热)"
    "|气滞|血瘀|痰湿|湿热|湿阻|痰热|风热|风寒|寒湿|阴虚|阳虚|气虚|血虚|肝郁|肝阳上亢|瘀血|痰浊|热毒|肝火")
_TCM_ACTION = re.compile(f"^(?:[{lexicon.TCM_ACTION_VERBS}][{lexicon.TCM_ACTION_OBJECTS}饮炎]){{1,3}}$")


@dataclass(slots=True)
class DrugContext:
    """What a drug's own label says besides its indications: its 禁忌 text, its adverse reactions, and
    whether it is a Western drug (TCM pattern words are its patent medicines' vocabulary)."""

    contraindications: str = ""
    adverse: set[str] = field(default_factory=set)  # normalized adverse-reaction names
    western: bool = True


def is_tcm_term(name: str) -> bool:
    key = normalize_name(name)
    return bool(_TCM_PATTERN.search(key) or _TCM_ACTION.match(key))


def judge(name: str, supports: int, ctx: DrugContext) -> tuple[str, str]:
    """(flag, reason) for one indication item of a drug."""
    reason = contra_sentence(name, ctx.contraindications)
    if reason:
        return CONTRA_SELF, reason
    key = normalize_name(name)
    if key in ctx.adverse and supports < 2:
        return ALSO_ADVERSE, ""
    if key in GENERIC_ITEMS or len(key) <= 1:
        return GENERIC, ""
    if _TCM_ACTION.match(key):
        return TCM_ACTION, ""
    if ctx.western and is_tcm_term(name):
        return TCM_PATTERN, ""
    return "", ""


def adverse_names(names: Iterable[str]) -> set[str]:
    return {normalize_name(n) for n in names}


_TCM_TYPE = re.compile("中成药|中药")


def drug_context(subjects: Sequence[Entity],
                 facts: Callable[[str, list[RelType], Direction], list[Fact]]) -> DrugContext:
    """The context of a drug's indication list from the drug and its same-ingredient entries."""
    texts: list[str] = []
    western = True
    for e in subjects:
        for prop, value in e.properties.items():
            text = value if isinstance(value, str) else "、".join(value)
            if prop.startswith(CONTRA_PROPS):
                texts.append(text)
            if prop == "功能主治" or (prop in ("药品类型", "分类") and _TCM_TYPE.search(text)):
                western = False
    adverse = adverse_names(f.target_name for e in subjects
                            for f in facts(e.id, [RelType.ADVERSE_REACTION], Direction.OUT) if not f.flag)
    return DrugContext("\n".join(texts), adverse, western)
