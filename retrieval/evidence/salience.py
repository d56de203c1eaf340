"""Clinical salience of disease → drug lists: the few classes a doctor thinks in, not a dump.

A disease's drug list (TREATED_BY and INDICATED_FOR<-, four sources) holds hundreds of products,
brands, herbs and class nouns. Ranked by support alone its head is whatever is most connected
(哮喘 → 氨茶碱片、胆茶碱片、曲尼司特胶囊 …, 沙丁胺醇 at the end). Here the list is folded into:

1. **Generics.** Each product is reduced to its ingredient (`generic_of`: dosage form, salt and
   inhalation words stripped: 硫酸沙丁胺醇吸入气雾剂 → 沙丁胺醇). A generic's strength is its best
   product's evidence score (curated site lists xywy common_drug / 39health drug, both directions,
   the drug's own label text naming the disease — retrieval.evidence.ranking) plus how many of its products
   the sources tie to the disease. Node degree plays no part.
2. **Classes.** A generic's class is its IN_CLASS edge (ATC / INN stem, issue 21) when the graph has
   one, else the most specific CMeKG 分类 (IN_CATEGORY) its products carry (the category with the
   fewest members graph-wide). Classes are ordered by their best generic, plus a little for each
   further generic; each shows 1–3 representatives.
3. **中成药** (patent medicines: CMeKG 分类 中成药, or a 丸/丹 product) form their own group after the
   Western classes, unless the question asks for 中药/中成药 (then they lead).
4. Brand-only names (东日), class nouns (糖皮质激素, LABA) and sentence debris are not items; they
   only count. Everything not shown is one count: `等N种`, never a second list.

Decisions: a generic without any class is shown alone, ranked among the classes; herbs from
CMeKG's materia-medica 主治 lists (negative source weight) never lead and are not representatives.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kg.classes import CLASS_SYNONYMS
from kg.contradictions import CONTRA_PROPS, contra_sentence
from kg.schema import Entity, Fact
from retrieval.evidence.candidates import Pool, parent_clause, via_names
from retrieval.evidence.corroboration import (
    CLASS_BREADTH,
    HERB_SOURCE,
    MAX_CHECKED,
    UNCORROBORATED,
    corroborated,
    relief_order,
    role_of,
    tiers,
    ties,
)
from retrieval.evidence.drug_grouping import DrugGrouping, generic_of, has_form
from retrieval.evidence.ranking import RankedList
from retrieval.evidence.relievers import CONTROLLER_LABEL, Role
from retrieval.rendering import GroupStyle, NoteKind
from retrieval.types import Evidence, EvidenceGroup, EvidenceNote, Qualifiers

#: Western classes, generics per class and patent medicines an answer shows.
MAX_CLASSES = 5
PER_CLASS = 3
MAX_TCM = 3
TCM_GROUP = "中成药"
_TCM_NAME = re.compile(r"(?<![滴胶])丸$|丹$")
_TCM_ASK = re.compile(r"中药|中成药|中医")
#: A name that is a class, not a drug (糖皮质激素, 支气管舒张剂, 抗真菌药物, LABA).
_CLASS_NOUN = re.compile(r"(?:类|剂|药|药物|激素|类固醇|疫苗|补充剂|制剂)$|^[A-Z]{2,5}$")
MAX_NAME = 16
#: With this many corroborated Western generics, the uncorroborated ones are counted, not offered.
MIN_CORROBORATED = 3
#: Items of a disease's ranked drug list that are grouped (咳嗽 has ~1,300; the request budget is tens
#: of ms); the count 等N种 still covers every item.
MAX_CANDIDATES = 800
#: How strongly each (dataset:predicate) ties a drug to the disease, per generic: the disease's own
#: treatment text naming the generic (CMeKG 药物治疗) is the closest the sources come to a guideline;
#: then the sites' curated common-drug lists, the handbook label naming the disease, a product
#: label naming it (CMeKG 适应症 and its reverse 相关药物, one statement). Herbs of CMeKG's materia
#: medica 主治 lists never lead.
TIE_WEIGHT: dict[str, float] = {
    "cmekg:药物治疗": 3.0, "xywy:common_drug": 2.0, "39health:drug": 2.0, "caregpt:适应证": 1.5,
    "cmekg:适应症": 1.0, "cmekg:相关药物": 1.0, "xywy:recommand_drug": 0.5, "jsonl:": 1.0,
}
#: The evidence fields of a disease's drug list (TREATED_BY, or INDICATED_FOR read from the disease).
DRUG_FIELDS = ("TREATED_BY", "INDICATED_FOR<-")
PRODUCT_WEIGHT = 1.2
#: A class's second and third representative need this share of its first one's strength.
REP_SHARE = 0.4

_CJK = re.compile(r"[\u4e00-\u9fff]")



@dataclass(slots=True)
class Generic:
    name: str
    items: list[Candidate]
    score: float
    tcm: bool
    klass: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked item of a disease's drug list, as salience reads it (cheap: a list holds hundreds)."""

    name: str
    entity_id: str
    sources: frozenset[str]  # dataset:predicate
    support: int = 0
    score: float = 0.0
    nodes: frozenset[str] = frozenset()  # the disease nodes whose edges tie it (retrieval.evidence.candidates)


def candidates(ranked: RankedList) -> list[Candidate]:
    """The leading MAX_CANDIDATES items (ranked support first: the tail is single statements that
    would only add products to a count)."""
    return [Candidate(i.name, i.target_id, frozenset(f"{d}:{p}" for d, p in i.sources), i.supports, i.score,
                      frozenset(i.entries)) for i in ranked.items[:MAX_CANDIDATES]]


def western_count(facts: Iterable[Fact], table: DrugGrouping) -> int:
    """How many Western generics a disease's drug facts name (retrieval.evidence.candidates: is the pool thin?)."""
    found: set[str] = set()
    for f in facts:
        if f.flag or f.predicate == HERB_SOURCE.split(":")[1] or f.target_id in table.tcm or _TCM_NAME.search(f.target_name):
            continue
        it = Candidate(f.target_name, f.target_id, frozenset())
        if _is_item(it, table) and not table.looks_tcm(generic := generic_of(f.target_name)):
            found.add(generic)
    return len(found)


def _is_item(it: Candidate, table: DrugGrouping) -> bool:
    """A drug an answer may name: not a class noun, a brand-only name or a piece of a sentence."""
    name = it.name
    if len(name) > MAX_NAME or any(ch in name for ch in "。，；：、"):
        return False
    if has_form(name) or it.entity_id in table.tcm:
        return True  # a product (…气雾剂 ends like a class noun but is not one)
    if _CLASS_NOUN.search(name):
        return False
    # no dosage form: a generic (沙丁胺醇) when some product reduces to it, else a brand (东日)
    return generic_of(name) in table.product_generics or len(name) >= 4


def group(items: list[Candidate], table: DrugGrouping) -> tuple[list[Generic], int]:
    """Ranked items → generics with their class, strongest first, and the number of drugs."""
    by_generic: dict[str, list[Candidate]] = defaultdict(list)
    for it in items:
        if _is_item(it, table):
            by_generic[generic_of(it.name)].append(it)
    out: list[Generic] = []
    for name, members in by_generic.items():
        sources = {s for m in members for s in m.sources}
        if sources <= {HERB_SOURCE}:
            continue  # a materia-medica herb (一碗水): counted, never an answer item
        ties = {s: TIE_WEIGHT.get(s, 0.5) for s in sources if s != HERB_SOURCE}
        # one statement read from both ends (适应症 / 相关药物) counts once
        if "cmekg:适应症" in ties and "cmekg:相关药物" in ties:
            ties.pop("cmekg:相关药物")
        score = sum(ties.values()) + PRODUCT_WEIGHT * math.log(len(members))
        tcm = 2 * sum(1 for m in members if m.entity_id in table.tcm or _TCM_NAME.search(m.name)) >= len(members)
        klass = "" if tcm else table.best_class(m.entity_id for m in members)
        tcm = tcm or (not klass and table.looks_tcm(name))
        g = Generic(name, members, score, tcm, klass)
        out.append(g)
    out.sort(key=lambda g: (-g.score, len(g.name), g.name))
    return out, len(out)


def _representative(g: Generic) -> str:
    """The generic's own name when it reads as one (an entry or a product reduces to it), else its
    most corroborated product (中成药 keep their product name)."""
    if g.tcm:
        return max(g.items, key=lambda m: (m.score, -len(m.name))).name
    return g.name


def _label(klass: str, table: DrugGrouping | None = None) -> str:
    """How a doctor names the class: the clinical name of an ATC class where one is usual (C10AA
    β-羟基-β-甲基戊二酸单酰辅酶A还原酶抑制药 → 他汀类, C09CA → 血管紧张素II受体拮抗剂), else its table name."""
    name = klass.removeprefix("ATC:")
    code = table.codes.get(name, "") if table is not None and klass.startswith("ATC:") else ""
    usual = next((t for t in CLASS_SYNONYMS.get(code, ()) if _CJK.search(t)), "")
    return usual or name


def _contradicted(generics: list[Generic], names: list[str],
                   entities: Callable[[list[str]], list[Entity]] | None) -> dict[str, str]:
    """Leading generics whose own label's 禁忌 names the disease (甲亢 → 左甲状腺素: "甲亢患者禁用"):
    generic name → the sentence. Reads the leading MAX_CHECKED generics' two best products."""
    if entities is None or not names:
        return {}
    lead = generics[:MAX_CHECKED]
    ids = [m.entity_id for g in lead for m in g.items[:2]]
    texts = {e.id: "\n".join(v if isinstance(v, str) else "、".join(v) for k, v in e.properties.items()
                              if k.startswith(CONTRA_PROPS)) for e in entities(ids)}
    out: dict[str, str] = {}
    for g in lead:
        for m in g.items[:2]:
            sent = next((x for n in names if (x := contra_sentence(n, texts.get(m.entity_id, "")))), "")
            if sent:
                out[g.name] = sent
                break
    return out


def salient_evidence(ev: Evidence, ranked: RankedList, table: DrugGrouping, question: str, disease: str,
                     names: Sequence[str] = (), entities: Callable[[list[str]], list[Entity]] | None = None,
                     qualifiers: Qualifiers | None = None, pool: Pool | None = None,
                     indications: Callable[[str], list[str]] | None = None,
                     lead: Mapping[str, float] | None = None) -> Evidence:
    """The disease → drugs evidence folded into classes: a copy with the grouped text, its typed items
    tagged with their group. `names` (the disease's name, aliases, synonyms and parents) and `entities`
    (a reader) let the leading drugs' own 禁忌 texts veto them (kg.contradictions) and their indication
    texts (and `indications`: drug id → its indication names) corroborate them; `qualifiers` asking for relief put relievers first (retrieval.evidence.relievers);
    `pool` says which node tied each drug (retrieval.evidence.candidates)."""
    generics, total = group(candidates(ranked), table)
    _lead_population(generics, lead)
    if len(ranked.items) > MAX_CANDIDATES:
        total = len({generic_of(i.name) for i in ranked.items})
    if not generics:
        return ev
    vetoed = _contradicted([g for g in generics if g.score > 0], list(names), entities)
    for g in generics:  # its only tie is an indication the same drug also lists as a reaction
        if len({s for m in g.items for s in m.sources}) <= 1 and \
                all((m.entity_id, ev.entity_id) in table.also_adverse for m in g.items):
            vetoed.setdefault(g.name, "")
    generics = [g for g in generics if g.name not in vetoed]
    western = [g for g in generics if not g.tcm and g.score > 0]
    tcm = [g for g in generics if g.tcm and g.score > 0]
    sure = corroborated(western, names, entities, indications)
    # uncorroborated ties are counted, not offered, once enough corroborated ones stand (a rare disease
    # whose one curated drug no label confirms keeps it, behind the corroborated ones)
    weak = [g for g in western if g.name not in sure] if len(sure) >= MIN_CORROBORATED else []
    western = [g for g in western if g not in weak]
    rank_of = tiers(western, sure, pool)
    classes: dict[str, list[Generic]] = {}
    for g in sorted(western, key=lambda g: rank_of[g.name]):  # stable: strongest first within a tier
        key = g.klass or f"_{g.name}"  # a generic without a class stands alone
        classes.setdefault(key, []).append(g)
    relief = qualifiers is not None and qualifiers.reliever
    if relief:
        ordered, controllers = relief_order(classes, table, rank_of)
    else:
        ordered = sorted(classes.items(), key=lambda kv: (rank_of[kv[1][0].name], -(
            kv[1][0].score + CLASS_BREADTH * math.log(len(kv[1])))))
        controllers = []
    parts: list[EvidenceGroup] = []
    shown_generics: list[Generic] = []
    for key, members in ordered[:MAX_CLASSES]:
        # further representatives only when the sources tie them nearly as strongly as the first (an
        # attack shows every reliever of the class)
        strong = [g for g in members[:PER_CLASS] if g is members[0] or g.score >= REP_SHARE * members[0].score
                  or (relief and role_of(g, table) == Role.RELIEVER)]
        shown_generics += strong
        reps = list(dict.fromkeys(_representative(g) for g in strong))
        parts.append(EvidenceGroup(names=reps) if key.startswith("_") else
                     EvidenceGroup(label=_label(key, table), names=reps, style=GroupStyle.CLASS))
    if controllers:
        shown_generics += controllers[:PER_CLASS]
        parts.append(EvidenceGroup(label=CONTROLLER_LABEL, names=[g.name for g in controllers[:PER_CLASS]],
                                   style=GroupStyle.INLINE))
    tcm_reps = list(dict.fromkeys(_representative(g) for g in tcm[:MAX_TCM]))
    shown_generics += tcm[:MAX_TCM]
    shown = len({g.name for g in shown_generics})
    tcm_part = EvidenceGroup(label=TCM_GROUP, names=tcm_reps, style=GroupStyle.INLINE) if tcm_reps else None
    if _TCM_ASK.search(question) and tcm_part:
        parts.insert(0, tcm_part)
    elif tcm_part:
        parts.append(tcm_part)

    of: dict[str, Generic] = {m.name: g for g in generics for m in g.items}
    via = via_names(generics, pool)
    for it in ev.items:  # this request's own items (facts_to_evidence builds them anew): tagged in place
        g = of.get(it.name)
        it.group = "" if g is None else TCM_GROUP if g.tcm else _label(g.klass, table) or g.name
        it.class_name = _label(g.klass, table) if g else ""
        it.via = via.get(it.name, "")
    banned = [n for n, why in vetoed.items() if why]
    notes = [EvidenceNote(kind=NoteKind.LABEL_BANNED, names=banned, subject=f"{disease}")] if banned else []
    lead_weak = [g for g in weak if g in generics[:MAX_CHECKED]]
    if lead_weak:
        notes.append(EvidenceNote(kind=NoteKind.SINGLE_SOURCE, count=len(lead_weak)))
    weak_ties = {g.name: "、".join(sorted(ties(g))) for g in weak}
    for it in ev.items:
        if generic_of(it.name) in vetoed:
            why = vetoed[generic_of(it.name)]
            it.flag, it.reason = ("contraindicated_self" if why else "also_adverse"), why
        elif generic_of(it.name) in weak_ties and not it.flag:
            it.flag, it.reason = UNCORROBORATED, f"仅{weak_ties[generic_of(it.name)]}提及，说明书适应证未载{disease}"
    heading = f"{disease}的常用药物{parent_clause(shown_generics, pool)}"
    return ev.model_copy(update={
        "heading": heading, "groups": parts, "names": [n for g in parts for n in g.names],
        "total": total if total > shown else 0, "unit": "种", "notes": notes, "target_name": None, "target_id": None})


# -- hook for retrieval.safety.patient (issue 17 point 3): drugs the population asked about may use lead ------
#: Added, times its weight, to a generic's score when one of its products is one the population may use
#: (weight 1: its label says so, or a source ties it to the population's form of the disease) or a class
#: rule's first choice (weight 2): above any source tie.
LEAD_BONUS = 10.0


def _lead_population(generics: list[Generic], lead: Mapping[str, float] | None) -> None:
    if not lead:
        return
    for g in generics:
        g.score += LEAD_BONUS * max((lead.get(m.entity_id, 0.0) for m in g.items), default=0.0)
    generics.sort(key=lambda g: (-g.score, len(g.name), g.name))


def fold_drugs(ev: Evidence, ranked: RankedList, *, table: DrugGrouping, question: str, disease: Entity,
               entities: Callable[[list[str]], list[Entity]] | None = None,
               qualifiers: Qualifiers | None = None, pool: Pool | None = None,
               indications: Callable[[str], list[str]] | None = None,
               lead: Mapping[str, float] | None = None) -> Evidence:
    """`facts_to_evidence`'s fold for a disease's evidence: its drug list (either reading) by class."""
    if ev.field not in DRUG_FIELDS:
        return ev
    names = [disease.name, *(a for a in disease.aliases if len(a) >= 2)]
    names += [n.name for n in (pool.nodes if pool is not None else ()) if n.name not in names]
    return salient_evidence(ev, ranked, table, question, disease.name, names, entities, qualifiers, pool, indications, lead)
