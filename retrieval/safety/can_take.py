"""Can a patient with X take Y (孕妇能吃布洛芬吗, 消化性溃疡病人能吃布洛芬吗, 青霉素过敏能用头孢克洛吗): a
first evidence item gives the verdict (不建议 / 慎用 / 说明书写明可以使用 / 未收录) with the label's own
sentence — the drug's, else its same-ingredient entries' (labelled 同成分) — or, when no label speaks of
a population, the class rule's (retrieval.safety.population_classes), said as such.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from kg.normalize import core_name
from kg.schema import Entity
from kg.text import SENTENCE_BREAK
from retrieval.evidence import property_datasets
from retrieval.rendering import prose_sentences, relabel
from retrieval.safety.population import (
    BY_KEY,
    ClassReader,
    ContraReader,
    Population,
    SafetyVerdict,
    Verdict,
    combine,
    detect,
    verdict_for,
)
from retrieval.safety.population_classes import FIELD as CLASS_FIELD
from retrieval.safety.population_classes import rule_parts
from retrieval.types import Evidence

VERDICT_FIELD = "用药结论"
SourceOf = Callable[[Entity, str], str]

_ALLERGY = re.compile(r"^(?:对)?(.{2,8}?)(?:类)?(?:药物|药)?过敏$")
#: A class an allergy names and the words a label uses for it (对青霉素类或β-内酰胺类过敏者慎用).
ALLERGY_CLASSES: dict[str, tuple[str, ...]] = {
    "青霉素": ("青霉素", "β-内酰胺", "β内酰胺", "β－内酰胺", "内酰胺"),
    "头孢": ("头孢", "头孢菌素", "β-内酰胺", "β内酰胺", "内酰胺"),
    "阿司匹林": ("阿司匹林", "水杨酸", "非甾体"),
    "磺胺": ("磺胺",),
}


#: How labels name a condition a question names otherwise (前列腺增生 → 前列腺肥大).
CONDITION_WORDS: dict[str, tuple[str, ...]] = {
    "前列腺增生": ("前列腺肥大",), "良性前列腺增生": ("前列腺肥大",), "消化性溃疡": ("溃疡",), "胃溃疡": ("溃疡",),
    "十二指肠溃疡": ("溃疡",), "哮喘": ("支气管哮喘",), "心动过缓": ("窦性心动过缓", "心率过缓", "心率减慢"),
    "痛风": ("高尿酸",), "甲亢": ("甲状腺功能亢进", "甲状腺机能亢进"), "癫痫": ("癫痫",),
}


def condition_population(label: str, terms: Sequence[str]) -> Population:
    """A condition named in a question, read like a population: any of its terms in a clause."""
    words = list(dict.fromkeys(t for t in terms if len(t) >= 2))
    words += [w for t in list(words) for w in CONDITION_WORDS.get(t, ())]
    allergy = next((m.group(1) for t in words if (m := _ALLERGY.match(t))), "")
    if allergy:
        words += [w for key, more in ALLERGY_CLASSES.items() if allergy.startswith(key) for w in more]
        words.append(allergy)
    words = sorted(dict.fromkeys(words), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(w) for w in words)) if words else re.compile(r"(?!x)x")
    return Population("condition", label, pattern, pattern)


def can_take(drug: Entity, related: Sequence[Entity], pops: Sequence[Population], source: SourceOf,
             same_label: str = "（同成分）", contra: ContraReader | None = None,
             by_class: ClassReader | None = None) -> list[Evidence]:
    """A first item with the verdict for each population or condition asked about: the drug's own
    label first, then the same ingredient's entries (labelled 同成分) when the drug's says nothing."""
    out: list[Evidence] = []
    for pop in pops:
        best: SafetyVerdict | None = None
        owner = drug
        for subject in (drug, *related):
            v = verdict_for(subject, pop, source, contra)
            if v.verdict != Verdict.UNKNOWN:
                best, owner = v, subject
                break
        if by_class is not None and pop.key in BY_KEY:  # the class rule meets the label (population.combine)
            rule = by_class(drug, pop)
            if rule is not None:
                mine = best if best is not None and owner.id == drug.id else None
                picked = combine(mine or SafetyVerdict(drug.id, drug.name, pop.key, Verdict.UNKNOWN), rule)
                if picked.field == CLASS_FIELD and (best is None or picked.verdict != best.verdict):
                    best, owner = picked, drug
        out.append(_verdict_item(drug, owner, pop, best, same_label))
    return out


_PHRASE = {
    Verdict.CONTRAINDICATED: "不建议使用（禁用）",
    Verdict.CAUTION: "需慎用，应在医生指导下权衡使用",
    Verdict.ALLOWED: "说明书写明可以使用，仍请遵医嘱",
}
_RULE_PHRASE = {
    Verdict.CONTRAINDICATED: "不建议使用（禁用）",
    Verdict.CAUTION: "需慎用，应在医生指导下权衡使用",
    Verdict.ALLOWED: "一般可以使用，仍请遵医嘱",
}
_NUMBERING = re.compile(r"(?<!\d)(?:\d{1,2}[.、．]|[（(]\d{1,2}[)）])(?!\d)")


def _quote(sentence: str) -> str:
    """A label sentence quoted inside one answer sentence: no numbering, no inner sentence ends."""
    text = _NUMBERING.sub("", sentence).strip("。；;，, ")
    return re.sub(r"[。；;]+", "，", text)


def _verdict_item(drug: Entity, owner: Entity, pop: Population, v: SafetyVerdict | None,
                  same_label: str) -> Evidence:
    label = pop.label
    if v is None:
        body = f"知识库未收录{drug.name}对{label}的用药信息（未收录），不能视为安全，请以说明书为准或咨询医生"
        datasets = list(drug.sources)
    else:
        name = owner.name if owner.id == drug.id else f"{owner.name}{same_label}"
        # one sentence: a generator that quotes the sentences matching the question keeps it whole
        body = f"{_PHRASE[v.verdict]}，{name}的{v.field}写明“{_quote(v.sentence)}”"
        if v.field == CLASS_FIELD:  # not the product's label: the class rule, said as such
            klass, why, ref = rule_parts(v)
            body = f"{_RULE_PHRASE[v.verdict]}（按药物类别规则：{klass}，{_quote(why)}，依据{ref}；说明书未写明）"
        datasets = [d for d in v.source.split(",") if d]
    return Evidence(index=0, entity_id=owner.id, entity_name=owner.name, entity_type=owner.type.value,
                    field=f"{VERDICT_FIELD}·{pop.key}", heading=f"{label}能否使用{drug.name}",
                    sentences=prose_sentences(body, datasets), datasets=datasets, origin="kg")


def condition_evidence(question: str, drug: Entity, mention: str, related: Sequence[Entity],
                       conditions: Sequence[tuple[str, Sequence[str]]], source: SourceOf,
                       same_label: str = "（同成分）", contra: ContraReader | None = None,
                       by_class: ClassReader | None = None) -> list[Evidence]:
    """"消化性溃疡病人能吃布洛芬吗": the verdict for each condition (and population) named, first, then
    the label sentences naming it — the drug's own, else the same ingredient's entries'."""
    pops = detect(question, [mention, drug.name, core_name(drug.name)])
    for name, terms in conditions:
        if any(p.cue.search(name) for p in pops):
            continue  # 肾功能不全 is a population: its own pattern reads more ways of saying it
        label = f"{name}者" if name.endswith("过敏") else f"{name}患者"
        pops.append(condition_population(label, terms))
    if not pops:
        return []
    verdicts = can_take(drug, related, pops, source, same_label, contra, by_class)
    sentences: list[Evidence] = []
    for subject in (drug, *related):
        found = _naming(subject, pops)
        if subject.id != drug.id:
            for ev in found:
                relabel(ev, subject.name, same_label)
        sentences += found
        if sentences:
            break
    return [*verdicts, *sentences]


#: Label texts whose sentences can speak of a condition or population.
NAMING_PROPS = ("禁忌证", "禁忌", "注意事项", "警示语")
_SENT = SENTENCE_BREAK
MAX_SENTENCES = 3


def _naming(subject: Entity, pops: Sequence[Population]) -> list[Evidence]:
    """Per safety text, the sentences of the subject that name one of the populations."""
    out: list[Evidence] = []
    for prop in NAMING_PROPS:
        value = subject.properties.get(prop)
        text = value if isinstance(value, str) else "。".join(value or [])
        hits = [s.strip() for s in _SENT.split(text) if any(p.match.search(s) for p in pops)]
        hits = list(dict.fromkeys(h for h in hits if h))[:MAX_SENTENCES]
        if hits:
            datasets = property_datasets(subject, prop)
            out.append(Evidence(index=0, entity_id=subject.id, entity_name=subject.name,
                                entity_type=subject.type.value, field=prop, heading=f"{subject.name}的{prop}",
                                sentences=prose_sentences("".join(hits), datasets), datasets=datasets, origin="kg"))
    return out
