"""Dose questions: the sentences of 用法用量 that answer what was asked, never a 规格 in their place.

一天几次 asks for a frequency, 一次吃多少 for an amount, 最多/最大剂量 for a limit, 儿童用量 for a child's
dose, 怎么吃 for the route and the usual dose. The drug's 用法用量 is split into sentences (numbered items
apart) and the best matching ones lead the item — adult and oral ones first unless a child or an
injection is asked about. A product without 用法用量 answers from the first same-ingredient entry that
has one, labelled 同成分; when none has, a first item says the graph does not hold it (未收录), so the
strength (规格) that follows is never read as the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kg.schema import Entity, NodeType
from kg.text import split_sentences
from kg.topics import TOPIC_KEYS, Topic
from retrieval.evidence import property_evidence
from retrieval.rendering import prose_sentences, relabel
from retrieval.types import Evidence

DOSE_PROPS = TOPIC_KEYS[Topic.DOSE]
MISSING_FIELD = "用法用量·未收录"
#: Sentences of 用法用量 put first.
MAX_PICKED = 2
SAME_INGREDIENT_LABEL = "（同成分）"

_NUM = r"[\d一二三四五六两]+(?:\.\d+)?"
FREQ = re.compile(rf"(?:每日|每天|一日|1日|一天|每晚|每晨|日)\s*{_NUM}\s*(?:[～~\-－至或到]\s*{_NUM}\s*)?次|"
                  rf"每\s*{_NUM}\s*(?:[～~\-－至]\s*{_NUM}\s*)?(?:小时|h)|次\s*/\s*日|顿服|一日一次|每日一次|睡前")
AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:[～~\-－至]\s*\d+(?:\.\d+)?\s*)?(?:mg|g|ml|μg|ug|iu|IU|单位|片|粒|丸|袋|支|"
                    r"包|滴|毫克|克|毫升|喷|揿)|[一二三四半两]\s*(?:片|粒|丸|袋|支|包)")
MAXIMUM = re.compile(r"最大|最多|极量|最高|不超过|不得超过|不宜超过|不应超过|限量|限用|总量|上限")
CHILD = re.compile(r"儿童|小儿|幼儿|婴|新生儿|患儿|\d+\s*岁|kg|千克|体重")
ADULT = re.compile(r"成人|成年")
ORAL = re.compile(r"口服|吞服|含服|舌下|嚼|冲服|温开水|饭前|饭后|空腹|送服")
PARENTERAL = re.compile(r"静脉|注射|滴注|肌注|肌内|静注|皮下|推注|滴眼|外用|涂")


@dataclass(frozen=True, slots=True)
class DoseAsk:
    """What a dose question asks for."""

    frequency: bool = False
    amount: bool = False
    maximum: bool = False
    child: bool = False
    route: bool = False  # 怎么吃/怎么用: how it is taken
    parenteral: bool = False  # 注射/打针/输液 asked about

    @property
    def any(self) -> bool:
        return self.frequency or self.amount or self.maximum or self.child or self.route


def asked(question: str) -> DoseAsk:
    return DoseAsk(
        frequency=bool(re.search(r"几次|多少次|几回|频率|多久(?:吃|用|服)一次|间隔", question)),
        amount=bool(re.search(r"多少|几片|几粒|几颗|几毫|几克|几袋|几支|剂量|用量|一次吃|每次", question)),
        maximum=bool(re.search(r"最多|最大|极量|最高|上限|不能超过|超过", question)),
        child=bool(re.search(r"儿童|小儿|孩子|宝宝|婴|幼儿|小孩|\d+\s*岁", question)),
        route=bool(re.search(r"怎么吃|怎么服|怎么用|如何服|如何用|怎样服|怎样用|用法|服法|吃法", question)),
        parenteral=bool(re.search(r"注射|打针|输液|静脉|肌注|点滴", question)),
    )


def _score(sentence: str, ask: DoseAsk) -> int:
    score = 0
    if ask.frequency and FREQ.search(sentence):
        score += 4
    if ask.amount and AMOUNT.search(sentence):
        score += 3
    if ask.maximum and MAXIMUM.search(sentence):
        score += 5
    if ask.route and (ORAL.search(sentence) or AMOUNT.search(sentence) or FREQ.search(sentence)):
        score += 2
    if ask.child:
        score += 4 if CHILD.search(sentence) else 0
    elif CHILD.search(sentence) and not ADULT.search(sentence):
        score -= 4  # a child's dose is not the answer for an adult
    elif ADULT.search(sentence):
        score += 1
    if not ask.parenteral and PARENTERAL.search(sentence) and not ORAL.search(sentence):
        score -= 3
    elif not ask.parenteral and ORAL.search(sentence):
        score += 1
    return score


def pick(text: str, ask: DoseAsk) -> tuple[list[str], list[str]]:
    """(the sentences that answer the question, the others), each in text order."""
    parts = [s.strip() for s in split_sentences(text, numbered=True) if s and s.strip()]
    scored = [(_score(s, ask), i) for i, s in enumerate(parts)]
    best = max((sc for sc, _ in scored), default=0)
    if best <= 0:
        return [], parts
    chosen = {i for sc, i in scored if sc == best}
    chosen = set(sorted(chosen)[:MAX_PICKED])
    return [parts[i] for i in sorted(chosen)], [p for i, p in enumerate(parts) if i not in chosen]


def _reordered(ev: Evidence, ask: DoseAsk) -> Evidence:
    if not ev.heading:
        return ev
    first, rest = pick(ev.body, ask)
    if not first:
        return ev
    body = "".join(_end(s) for s in (*first, *rest)).rstrip("；")
    return ev.model_copy(update={"sentences": prose_sentences(body, ev.datasets)})


def _end(sentence: str) -> str:
    return sentence if sentence.endswith(("。", "；", ";", "！", "？")) else sentence + "；"


def for_dose(question: str, entity: Entity, intent: str, items: list[Evidence],
             related: Sequence[Entity]) -> list[Evidence]:
    """The usage evidence of a drug with the asked sentences of 用法用量 first (see module doc)."""
    if intent != "usage" or entity.type not in (NodeType.DRUG, NodeType.INGREDIENT):
        return items
    ask = asked(question)
    if not ask.any:
        ask = DoseAsk(route=True)
    doses = [i for i, ev in enumerate(items) if ev.field in DOSE_PROPS]
    if doses:
        at = doses[0]
        return [_reordered(items[at], ask), *items[:at], *items[at + 1:]]
    best: tuple[int, Evidence] | None = None
    for other in related:  # the same ingredient's entry whose text answers best (an oral form for 吃)
        found = property_evidence(other, DOSE_PROPS)
        if not found:
            continue
        ev = found[0]
        score = max((_score(s, ask) for s in split_sentences(ev.body, numbered=True) if s.strip()), default=0)
        if best is None or score > best[0]:
            relabel(ev, other.name, SAME_INGREDIENT_LABEL)
            best = (score, ev)
    if best is not None:
        return [_reordered(best[1], ask), *items]
    datasets = list(entity.sources)
    missing = Evidence(index=0, entity_id=entity.id, entity_name=entity.name, entity_type=entity.type.value,
                       field=MISSING_FIELD, datasets=datasets, origin="kg", heading=f"{entity.name}的用法用量",
                       sentences=prose_sentences(f"知识库未收录{entity.name}及其同成分药品的用法用量（未收录），"
                                                 "每次用量和每日次数请按药品说明书或遵医嘱", datasets))
    # 每次/每日: a dose-focused answer leads with it
    return [missing, *items]
