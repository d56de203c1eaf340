"""The patient asked about: populations in a question and each drug's own verdict for them.

A treatment question for a pregnant woman, a breastfeeding mother, a child, an older person, a patient
with liver or kidney impairment or an allergic constitution is answered from the drugs whose labels
allow it. The verdict for one drug comes from its OWN safety text (禁忌, 禁忌证, 注意事项, 警示语, and
用法用量 for children's doses), clause by clause:

- 禁用  the clause names the population with 禁用/忌用/不宜/不得/暂停哺乳 …, or the population is an item of
        a 禁忌 / 禁忌证 text (which lists who must not take it);
- 慎用  慎用/医师指导/权衡利弊/酌减/尚不明确 …, or the population named in 注意事项 without a verdict word;
- 可用  the text says it may be used (可用, 无需调整剂量, a children's dose in 用法用量);
- 未收录 no clause names the population — never read as "safe".

Negations are kept apart: a population inside 除…外 / …除外 gets nothing from that clause, 不禁用 is not
禁用, and boilerplate such as 请将本品放在儿童不能接触的地方 is not about children taking the drug.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from kg.schema import Entity
from kg.text import CLAUSE_BREAK
from kg.topics import TOPIC_KEYS, Topic

if TYPE_CHECKING:
    from retrieval.safety.population_classes import ClassRule


class Verdict(StrEnum):
    CONTRAINDICATED = "禁用"
    CAUTION = "慎用"
    ALLOWED = "可用"
    UNKNOWN = "未收录"


#: Strongest first: one clause saying 禁用 outweighs another saying 慎用.
_RANK = {Verdict.CONTRAINDICATED: 3, Verdict.CAUTION: 2, Verdict.ALLOWED: 1, Verdict.UNKNOWN: 0}


@dataclass(frozen=True, slots=True)
class Population:
    key: str
    label: str  # how the answer names it ("孕妇")
    cue: re.Pattern[str]  # in the question
    match: re.Pattern[str]  # in a clause of a drug's text


def _p(key: str, label: str, cue: str, match: str) -> Population:
    return Population(key, label, re.compile(cue), re.compile(match))


POPULATIONS: tuple[Population, ...] = (
    _p("pregnancy", "孕妇", r"孕妇|妊娠|怀孕|孕期|备孕|孕早期|孕晚期|准妈妈",
       r"孕妇|妊娠|怀孕|孕期|孕早期|孕中期|孕晚期|孕\d|胎儿"),
    _p("lactation", "哺乳期妇女", r"哺乳|喂奶|母乳|月子|产后喂",
       r"哺乳|乳母|授乳|母乳|乳汁"),
    _p("children", "儿童", r"儿童|小儿|婴幼儿|婴儿|幼儿|孩子|宝宝|小孩|新生儿|\d+岁以下|\d+岁的?孩|未成年",
       r"儿童|小儿|婴幼儿|婴儿|幼儿|新生儿|早产儿|患儿|\d+岁以下|未满\d+岁|未成年|青少年"),
    _p("elderly", "老年人", r"老年|老人|高龄|年老", r"老年|老人|高龄|年老"),
    _p("liver", "肝功能不全者", r"肝功能不全|肝功能不好|肝不好|肝功能损|肝损|肝病|肝硬化|肝功能异常|肝衰|肝功能差",
       r"肝功能|肝病|肝损|肝脏疾病|肝脏病|肝硬化|肝衰|肝、肾|肝肾功能|肝或肾"),
    _p("kidney", "肾功能不全者", r"肾功能不全|肾功能不好|肾不好|肾功能损|肾衰|肾病|肾损|肾功能异常|透析|肾功能差",
       r"肾功能|肾病|肾损|肾脏疾病|肾脏病|肾衰|肝、肾|肝肾功能|肝或肾|肌酐清除率"),
    _p("allergic", "过敏体质者", r"过敏体质", r"过敏体质"),
)
BY_KEY: dict[str, Population] = {p.key: p for p in POPULATIONS}

#: Properties holding a drug's safety text, with the verdict a population named there without a
#: verdict word of its own gets (a 禁忌 text lists who must not take the drug).
SAFETY_TEXTS: tuple[tuple[str, Verdict], ...] = (
    ("禁忌证", Verdict.CONTRAINDICATED), ("禁忌", Verdict.CONTRAINDICATED), ("警示语", Verdict.CAUTION),
    ("注意事项", Verdict.CAUTION), ("用法用量", Verdict.ALLOWED), ("用量", Verdict.ALLOWED),
)
#: Populations a dose text speaks for: a children's dose says children may take it; "成人一次1片"
#: says nothing about pregnancy.
DOSE_POPULATIONS = frozenset({"children", "elderly", "liver", "kidney"})
DOSE_PROPS = frozenset(TOPIC_KEYS[Topic.DOSE])

#: Checked before the verdict words: negated 禁用 and "no dose change needed" allow, 相对禁忌 cautions.
_NEGATED = re.compile(r"不[^，。；]{0,2}禁用|非禁忌|无需禁用|(?:无需|不需|不必|无须|没有必要|不需要)调整")
_RELATIVE = re.compile(r"相对禁忌")
_WORDS: tuple[tuple[Verdict, re.Pattern[str]], ...] = (
    (Verdict.CONTRAINDICATED, re.compile(
        r"禁用|禁服|忌用|忌服|禁止(?:使用|服用|应用)|不得(?:使用|服用|应用|用于)|不应(?:使用|服用|用于)|不宜|"
        r"不能(?:使用|服用|用)|不可(?:使用|服用|用)|避免(?:使用|服用|应用)|不推荐|不建议|不用于|禁忌|"
        r"(?:暂停|停止|中止|终止|不宜)哺乳|不能哺乳|不使用")),
    (Verdict.CAUTION, re.compile(
        r"慎用|慎服|谨慎|慎重|指导下|遵医嘱|咨询|权衡|利弊|利大于弊|必要时|确有必要|酌减|减量|减少剂量|减少用量|"
        r"调整剂量|调整用量|监护|监测|密切观察|观察|注意|尚不明确|尚未明确|尚不清楚|尚未确立|尚未建立|安全性.{0,6}未|"
        r"资料|研究|经验")),
    (Verdict.ALLOWED, re.compile(
        r"可用|可以使用|可以服用|可服用|可使用|可安全|安全使用|无需调整|不需调整|不必调整|无须调整|没有必要调整|"
        r"不需要调整|照常|\d\s*(?:mg|g|ml|μg|片|粒|丸|袋|支|次|毫克|克|毫升)")),
)
_LINKED = re.compile(r"\s*(?:但|且|并|应|须|需|宜|必须|仍)")
_HEADING = re.compile(r"(禁用|慎用|忌用|禁服|慎服)(?:[:：]|如下|以下)|以下(?:患者|情况|人群)?(禁用|慎用)")
_BOILERPLATE = re.compile(r"儿童(?:不能|不易|无法)?(?:接触|触及|拿到|够)|远离儿童|放在儿童|放置于儿童|儿童接触不到")
_EXCEPT = re.compile(r"除(?:了)?([^，。；]{1,20}?)(?:以)?外|([^，。；、]{1,12})除外")
_SENT = CLAUSE_BREAK
_CLAUSE = re.compile(r"[，,]")
#: Characters of a verdict sentence kept as its evidence (whole sentence when shorter).
SENTENCE_CHARS = 90


@dataclass(frozen=True, slots=True)
class SafetyVerdict:
    """One drug's verdict for one population, with the sentence that gives it."""

    drug_id: str
    drug_name: str
    population: str  # Population.key
    verdict: Verdict
    sentence: str = ""  # the label's own words ("孕妇及哺乳期妇女禁用")
    field: str = ""  # property it came from (禁忌证, 注意事项 …)
    source: str = ""  # dataset(s) of that property
    preferred: bool = False  # a class rule names it a first choice for the population (可用-首选)
    rule: ClassRule | None = None  # the class rule behind the verdict (None: the label's own words)

    @property
    def positive(self) -> bool:
        """The population may use it by its own label (可用) or by a class rule's first choice."""
        return self.preferred or self.verdict == Verdict.ALLOWED

    @property
    def weight(self) -> float:
        """How strongly it leads an answer for the population: a first choice 2, may use 1, else 0."""
        return 2.0 if self.preferred else 1.0 if self.verdict == Verdict.ALLOWED else 0.0


@dataclass
class FilteredCandidates:
    """A ranked candidate list split by one population's verdicts (order kept in each part)."""

    population: Population
    kept: list[SafetyVerdict] = field(default_factory=list)  # 可用, 慎用 and 未收录 candidates, ranked
    cautioned: list[SafetyVerdict] = field(default_factory=list)  # the 慎用 ones among `kept`
    excluded: list[SafetyVerdict] = field(default_factory=list)  # 禁用: never offered as a choice
    checked: int = 0  # how many candidates were read

    @property
    def confirmed(self) -> list[SafetyVerdict]:
        """Kept candidates whose label speaks of the population (可用 or 慎用)."""
        return [v for v in self.kept if v.verdict != Verdict.UNKNOWN]


def detect(question: str, skip: Sequence[str] = ()) -> list[Population]:
    """Populations the question names, outside the spans in `skip` (a linked name such as 小儿腹泻
    names a disease; its 小儿 is still the patient asked about, so callers pass only drug names)."""
    text = question
    for s in skip:
        text = text.replace(s, " ") if s else text
    return [p for p in POPULATIONS if p.cue.search(text)]


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "。".join(str(v) for v in value if v)
    return ""


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT.split(text) if s and s.strip()]


def _words(clause: str) -> Verdict | None:
    """The verdict a clause's own words state, or None."""
    if _NEGATED.search(clause):
        return Verdict.ALLOWED
    if _RELATIVE.search(clause):
        return Verdict.CAUTION
    for verdict, pattern in _WORDS:
        if pattern.search(clause):
            return verdict
    return None


def _names(pop: Population, clause: str) -> bool:
    """Does the clause name the population outside a 除…外 / …除外 span and outside boilerplate?"""
    if pop.key == "children" and _BOILERPLATE.search(clause):
        clause = _BOILERPLATE.sub("", clause)
        clause = re.sub(r"请将本品|放在|地方|必须在成人监护下使用", "", clause)
    for m in _EXCEPT.finditer(clause):
        clause = clause.replace(m.group(0), " ")
    return bool(pop.match.search(clause))


def classify_text(pop: Population, text: str, default: Verdict, *, dose: bool = False) -> tuple[Verdict, str]:
    """The strongest verdict a text gives the population, and its sentence (clipped)."""
    best, said = Verdict.UNKNOWN, ""
    for sent in _sentences(text):
        clauses = [c for c in _CLAUSE.split(sent) if c.strip()]
        for i, clause in enumerate(clauses):
            if not _names(pop, clause):
                continue
            head = None
            verdict = _words(clause)
            # "哺乳期妇女使用时，应暂停哺乳", "孕妇不禁用，但应在医师指导下使用": the next clauses, without a
            # population of their own, carry (or qualify) the verdict
            for nxt in clauses[i + 1:i + 3]:
                if any(p.match.search(nxt) for p in POPULATIONS):
                    break
                more = _words(nxt)
                if more is not None and (verdict is None or (_LINKED.match(nxt) and _RANK[more] > _RANK[verdict])):
                    verdict = more
                    break
            if verdict is None:
                for m in _HEADING.finditer(text[:max(0, text.find(clause))]):
                    head = m.group(1) or m.group(2)
                verdict = {"禁用": Verdict.CONTRAINDICATED, "忌用": Verdict.CONTRAINDICATED,
                           "禁服": Verdict.CONTRAINDICATED}.get(head or "", Verdict.CAUTION if head else default)
            if dose and verdict == Verdict.ALLOWED and "咨询" in sent:
                verdict = Verdict.CAUTION
            if pop.key == "children" and verdict == Verdict.CONTRAINDICATED and _infants_only(clause):
                verdict = Verdict.CAUTION  # "新生儿禁用": an age limit, not a ban for children
            if _RANK[verdict] > _RANK[best]:
                said = sent if len(sent) <= SENTENCE_CHARS else _around(sent, clause)
                best, said = verdict, f"{head}：{said}" if head else said  # "(6)孕妇" read with its heading
    return best, said


#: Children named only as the youngest (新生儿禁用, 2岁以下禁用): a 禁用 there limits the age, the drug
#: stays a (cautioned) choice for a child; 婴幼儿 (up to 3 years) and 12岁以下 still ban it.
_INFANTS = re.compile(r"新生儿|早产儿|(?<!婴)婴儿|(?:(?<!\d)(?:[1-3]|[一二三两])(?:周)?岁以下|\d{1,2}个月以下|"
                      r"未满(?:[1-3]|[一二三两])(?:周)?岁)(?:的)?(?:婴幼儿|儿童|小儿|幼儿|患儿)?")
_CHILDREN = re.compile(r"儿童|小儿|幼儿|患儿|青少年|未成年|\d{1,2}岁以下|未满\d{1,2}岁")


_SECTION = re.compile(r"(?:药物)?对(?:儿童|小儿)[^：:，]{0,6}的影响[：:]|(?:儿童|小儿)用药[：:]")


def _infants_only(clause: str) -> bool:
    clause = _SECTION.sub("", clause)  # "药物对儿童的影响：3岁以下儿童…": a heading, not the age named
    return bool(_INFANTS.search(clause)) and not _CHILDREN.search(_INFANTS.sub("", clause))


def _around(sentence: str, clause: str) -> str:
    start = max(0, sentence.find(clause) - 20)
    piece = sentence[start:start + SENTENCE_CHARS]
    return ("…" if start else "") + piece + ("…" if start + SENTENCE_CHARS < len(sentence) else "")


#: Field name of a drug's CONTRAINDICATED facts read as one more 禁忌 text.
CONTRA_FIELD = "禁忌"
#: (text, datasets) of a drug's CONTRAINDICATED facts ("孕妇禁用", "对本品过敏者禁用" …).
ContraReader = Callable[[Entity], tuple[str, str]]
#: A drug's class-rule verdict for a population (retrieval.safety.population_classes), None when no rule.
ClassReader = Callable[[Entity, Population], SafetyVerdict | None]


def combine(label: SafetyVerdict, rule: SafetyVerdict | None) -> SafetyVerdict:
    """A product's own label verdict and its class rule's: the label decides when it is explicit, except
    that a class ban is not lifted by a label that only cautions or only gives a dose (an old ACE
    inhibitor label saying 孕妇慎用, a codeine syrup with a children's dose). A class first choice marks
    the label's verdict as preferred unless the label forbids it."""
    if rule is None:
        return label
    if label.verdict == Verdict.UNKNOWN:
        return rule
    if label.verdict == Verdict.CONTRAINDICATED:
        return label
    if rule.verdict == Verdict.CONTRAINDICATED and not (
            label.verdict == Verdict.ALLOWED and label.field not in DOSE_PROPS):
        return rule
    return replace(label, preferred=rule.preferred)


def verdict_for(drug: Entity, pop: Population, source: Callable[[Entity, str], str] | None = None,
                contra: ContraReader | None = None, by_class: ClassReader | None = None) -> SafetyVerdict:
    """The drug's own label verdict for the population (the strongest over its safety texts and its
    CONTRAINDICATED facts), met with its class rule when `by_class` is given (`combine`)."""
    label = _label_verdict(drug, pop, source, contra)
    return combine(label, by_class(drug, pop)) if by_class is not None else label


def _label_verdict(drug: Entity, pop: Population, source: Callable[[Entity, str], str] | None,
                   contra: ContraReader | None) -> SafetyVerdict:
    best = SafetyVerdict(drug.id, drug.name, pop.key, Verdict.UNKNOWN)
    facts, datasets = contra(drug) if contra else ("", "")
    if facts:
        verdict, sentence = classify_text(pop, facts, Verdict.CONTRAINDICATED)
        if verdict != Verdict.UNKNOWN:
            best = SafetyVerdict(drug.id, drug.name, pop.key, verdict, sentence, CONTRA_FIELD, datasets)
    for prop, default in SAFETY_TEXTS:
        dose = prop in DOSE_PROPS
        if dose and pop.key not in DOSE_POPULATIONS:
            continue
        text = _text(drug.properties.get(prop))
        if not text:
            continue
        verdict, sentence = classify_text(pop, text, default, dose=dose)
        if _RANK[verdict] > _RANK[best.verdict]:
            best = SafetyVerdict(drug.id, drug.name, pop.key, verdict, sentence, prop,
                                 source(drug, prop) if source else ",".join(drug.sources))
    return best


def filter_candidates(candidates: Iterable[Entity], pop: Population,
                      source: Callable[[Entity, str], str] | None = None,
                      contra: ContraReader | None = None, by_class: ClassReader | None = None) -> FilteredCandidates:
    """Split ranked candidates by their own labels: 禁用 out, 慎用 marked, the rest kept in order."""
    out = FilteredCandidates(population=pop)
    for drug in candidates:
        out.checked += 1
        v = verdict_for(drug, pop, source, contra, by_class)
        if v.verdict == Verdict.CONTRAINDICATED:
            out.excluded.append(v)
            continue
        out.kept.append(v)
        if v.verdict == Verdict.CAUTION:
            out.cautioned.append(v)
    return out
