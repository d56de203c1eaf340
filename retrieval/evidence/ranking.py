"""Evidence-strength ranking of list answers (indications, adverse reactions, drugs for a disease …).

A list item is believed more the more independent places state it: several datasets, both
directions of one fact (drug→INDICATED_FOR→X and X→TREATED_BY→drug), the drug's own prose
(适应证 / 功能主治 text of the entity or of its same-ingredient handbook entry), a curated
"common drugs" list (xywy / 39health). Extraction noise is usually stated once, by one dataset,
and not in the prose, so it falls below corroborated items even before the cleaning stage flags it.
Near-duplicates (低钾 / 低钾血症) collapse into the more specific name, their support pooled.
Among a disease's items stated once, a site's curated list (xywy, 39health, your own JSONL) goes
before a machine-extracted one (CMeKG, `kg.sources.SourceEntry.extracted`): 胃炎's CMeKG-only "symptoms"
include 痴呆 and 没有恶性肿瘤的可疑特征. `RankedList.reliable` counts the leading items that are
corroborated or curated: what an answer may list beyond its top items.
Flagged facts (`Fact.flag`) never become items; they are counted so the evidence can say so.

Adverse reactions usually come from one dataset (CMeKG's lists, alphabetical, no frequencies), so
support ties across hundreds of items. There the tie is broken by *prevalence*: how many drugs in
the graph list the reaction. Class-typical reactions (恶心, 头痛, 皮疹) are listed for thousands of
drugs, extraction debris (白血球, 钠增多) for a handful, so the shown top items are the ones a
label most likely reports, not the first ones in code-point order. (Not used for indications or
symptoms, where the common item — 发热, 感染 — is the least specific one.)
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from kg.normalize import is_product_name
from kg.schema import Direction, Fact, NodeType, RelType
from kg.sources import extracted_datasets
from kg.stores.base import GraphStore
from kg.vocabulary import FAMILY
from retrieval.evidence.noise import CONTRA_SELF, DEMOTING, DrugContext, judge

#: Per (dataset, predicate) bonus for disease → drug lists: a clinician-curated list of common
#: drugs, and CMeKG's 药物治疗 (generic names in a disease's treatment text), beat CMeKG's
#: 主治 (materia medica entries: 一匹草, 一碗水 …), which only ever name herbs.
SOURCE_WEIGHT: dict[tuple[str, str], float] = {
    ("xywy", "common_drug"): 2.0, ("xywy", "recommand_drug"): 1.0, ("39health", "drug"): 2.0,
    ("cmekg", "药物治疗"): 1.5, ("caregpt", "适应证"): 1.0, ("cmekg", "主治"): -1.5,
}
#: Target types that can be the item of each family; anything else is probably extraction noise.
EXPECTED_TYPES: dict[str, frozenset[NodeType]] = {
    "treats": frozenset({NodeType.DISEASE, NodeType.SYMPTOM}),
    "treated": frozenset({NodeType.DRUG, NodeType.INGREDIENT}),
    RelType.ADVERSE_REACTION.value: frozenset({NodeType.SYMPTOM, NodeType.DISEASE}),
    RelType.NEEDS_CHECK.value: frozenset({NodeType.CHECK}),
    RelType.HAS_SYMPTOM.value: frozenset({NodeType.SYMPTOM, NodeType.DISEASE}),
}
#: Suffixes that make a name the more specific form of a shorter one (低钾 → 低钾血症).
SPECIFIC_SUFFIXES = ("血症", "症", "病", "综合征", "症状", "性疾病", "燥", "感染")
#: A name that starts like a clause (用于…, 也可用于…, 主治…) is a piece of a sentence, not an item.
#: (对 opens a clause — 对…有效 — but not a chemical name: 对乙酰氨基酚, 对氨基水杨酸)
_CLAUSE = re.compile(r"^(?:也可|可|亦可|主要)?(?:用于|适用于|主治|治疗|症见|对(?![乙氨羟甲硝氯苯])|本品)")


@dataclass(slots=True)
class RankedItem:
    name: str
    target_id: str
    target_type: NodeType
    datasets: set[str] = field(default_factory=set)
    directions: set[Direction] = field(default_factory=set)
    sources: set[tuple[str, str]] = field(default_factory=set)  # (dataset, predicate)
    entries: set[str] = field(default_factory=set)  # the drugs (dosage forms) stating it
    in_prose: bool = False
    merged: list[str] = field(default_factory=list)  # near-duplicate names folded into this one
    score: float = 0.0
    clause: bool = False  # named like a piece of a sentence (用于…)
    curated: bool = True  # False: curated-list weights do not apply (not a disease → drugs list)
    extracted_only: bool = False  # stated only by machine-extracted datasets
    flag: str = ""  # why the item may not lead (retrieval.evidence.noise): contraindicated_self, also_adverse …
    reason: str = ""  # the sentence behind the flag

    @property
    def reliable(self) -> bool:
        return self.supports >= 2 or not self.extracted_only

    @property
    def supports(self) -> int:
        """Independent statements of the item: each dataset, the second reading of the fact, the
        drug's own prose, a curated list, and the drug's own records agreeing across its dosage forms."""
        if self.clause:
            return 0
        curated = self.curated and any(SOURCE_WEIGHT.get(src, 0.0) >= 1.5 for src in self.sources)
        return (len(self.datasets) + (len(self.directions) > 1) + self.in_prose + curated
                + (len(self.entries) > 1))


@dataclass(slots=True)
class RankedList:
    items: list[RankedItem]
    flagged: int = 0  # facts the cleaning stage keeps out of answers (countable, never shown as items)
    held: list[RankedItem] = field(default_factory=list)  # contradicted by the drug's own 禁忌 (retrieval.evidence.noise)

    @property
    def reliable(self) -> int:
        """How many leading items are corroborated or stated by a curated list."""
        n = 0
        for it in self.items:
            if not it.reliable:
                break
            n += 1
        return n

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.items]

    @property
    def strong(self) -> int:
        """How many items have two independent supports (see RankedItem.supports)."""
        return sum(1 for i in self.items if i.supports >= 2)


def family_of(fact: Fact) -> str:
    return FAMILY.get((fact.relation, fact.direction), fact.relation.value)


#: a drug's lists: every dataset stating them is extracted, except the reverse reading of a site's
#: disease → drug list, which is no better evidence of an indication; no curated-first order there
DRUG_FAMILIES = frozenset({"treats", "contra", RelType.ADVERSE_REACTION.value, RelType.CONTRAINDICATED.value})
#: families whose ties are broken by graph-wide prevalence (see the module docstring)
PREVALENCE_FAMILIES = frozenset({RelType.ADVERSE_REACTION.value})


def adverse_prevalence(store: GraphStore) -> dict[str, int]:
    """Adverse reaction id → how many drugs list it (unflagged edges): one scan of the edge type
    (~0.7 s on the four-source graph); callers keep the result."""
    pairs = {(r.source_id, r.target_id) for r in store.edge_rows(RelType.ADVERSE_REACTION) if not r.flag}
    return dict(Counter(t for _, t in pairs))


#: Weight of specificity (an item few drugs list) in an adverse-reaction list's order.
SPECIFICITY_WEIGHT = 1.5
#: Below this many drugs a reaction's specificity ramps down: an item a handful of drugs list is
#: more often extraction debris (非特定囊肿, 血钠浓度升高) than a characteristic reaction.
SPECIFIC_MIN_DF = 30


def specificity(df: int, most: int) -> float:
    """How characteristic an item is: 0 for the item most drugs list (恶心), highest for items a few
    dozen drugs list (tf-idf-like on a log scale), ramping down for the rarest (likely debris)."""
    if most <= 1:
        return 0.0
    idf = max(0.0, 1.0 - math.log1p(max(df, 1)) / math.log1p(most))
    return idf * min(1.0, df / SPECIFIC_MIN_DF)


def rank(facts: Iterable[Fact], *, prose: str = "", family: str = "",
         described: Callable[[str], bool] | None = None,
         prevalence: Mapping[str, int] | None = None, context: DrugContext | None = None) -> RankedList:
    """Facts of one family (any datasets and directions) → unique items, strongest first.
    `prevalence`: target id → how many subjects in the graph state that target (adverse reactions):
    characteristic reactions lead, those every drug lists fall back. `context`: the drug's own
    禁忌 and reactions, which flag indications (retrieval.evidence.noise)."""
    by_name: dict[str, RankedItem] = {}
    flagged = 0
    extracted = extracted_datasets()
    for f in facts:
        if f.flag:
            flagged += 1
            continue
        name = f.target_name.strip()
        if not name:
            continue
        item = by_name.get(name)
        if item is None:
            item = by_name[name] = RankedItem(name, f.target_id, f.target_type)
        item.datasets.add(f.dataset)
        item.directions.add(f.direction)
        item.sources.add((f.dataset, f.predicate))
        item.entries.add(f.entity_id)
    items = _collapse(list(by_name.values()))
    expected = EXPECTED_TYPES.get(family)
    names = [i.name for i in items]
    for it in items:
        # a name found in the prose only as part of a longer listed item (尿酸 in 高尿酸血症) is
        # not a mention of its own
        it.in_prose = bool(prose) and it.name in prose and not any(
            it.name != o and it.name in o and o in prose for o in names)
        it.score = _score(it, expected, described, curated=family == "treated")
        it.extracted_only = family not in DRUG_FAMILIES and it.datasets <= extracted
    common = prevalence if prevalence is not None and family in PREVALENCE_FAMILIES else {}
    if common:
        most = max(common.values(), default=1)
        for it in items:
            it.score += SPECIFICITY_WEIGHT * specificity(common.get(it.target_id, 0), most)
    if context is not None and family == "treats":
        for it in items:
            it.flag, it.reason = judge(it.name, it.supports, context)
        held = [it for it in items if it.flag == CONTRA_SELF]  # noqa: F841 - returned below
        items = [it for it in items if it.flag != CONTRA_SELF]
        flagged += len(held)
    # corroborated items first (two independent supports), generic / contradicted ones behind the
    # rest, then curated lists before extracted ones (where the disease → drug weights do not
    # already say so), then by score
    items.sort(key=lambda i: (i.supports < 2, i.flag in DEMOTING, i.extracted_only and not i.curated, -i.score,
                              len(i.name), i.name))
    return RankedList(items, flagged, held if context is not None and family == "treats" else [])


def _collapse(items: list[RankedItem]) -> list[RankedItem]:
    """低钾 + 低钾血症 → 低钾血症 with the support of both (linear: looks up name + suffix)."""
    by_len = sorted(items, key=lambda i: -len(i.name))
    kept: list[RankedItem] = []
    by_name: dict[str, RankedItem] = {}
    for it in by_len:
        into = None
        if len(it.name) >= 2:
            into = next((by_name[it.name + x] for x in SPECIFIC_SUFFIXES if it.name + x in by_name), None)
        if into is None:
            kept.append(it)
            by_name[it.name] = it
            continue
        into.datasets |= it.datasets
        into.directions |= it.directions
        into.sources |= it.sources
        into.entries |= it.entries
        into.merged.append(it.name)
    return kept


def _score(it: RankedItem, expected: frozenset[NodeType] | None,
           described: Callable[[str], bool] | None, curated: bool = False) -> float:
    s = 1.0 * len(it.datasets) + 0.75 * (len(it.directions) - 1) + 0.25 * (len(it.sources) - 1)
    s += 0.5 * (len(it.entries) - 1)  # other dosage forms of the same ingredient say it too
    if Direction.OUT in it.directions:
        s += 0.5  # the subject's own record states it (not only the other end's page)
    if curated:  # disease → drugs: a clinician-curated list of common drugs counts most
        weights = [SOURCE_WEIGHT.get(src, 0.0) for src in it.sources] or [0.0]
        s += max(0.0, *weights)
        if all(w < 0 for w in weights):  # stated only by a weak source
            s += min(weights)
    else:
        it.curated = False
    if it.in_prose:
        s += 2.0
    if expected is not None and it.target_type not in expected:
        s -= 1.0
    if len(it.name) <= 1:
        s -= 1.0
    if _CLAUSE.match(it.name):
        it.clause = True
        s -= 1.5
    if described is not None and described(it.target_id):
        s += 0.5  # a source describes the item itself: a real disease, symptom, check or drug
    if expected is not None and NodeType.DRUG in expected and is_product_name(it.name):
        s += 0.25  # generic product names (…片, …胶囊) before bare brand names
    return s


def shown(ranked: RankedList | list[str], top: int = 8) -> tuple[list[str], int]:
    """The items an answer lists and the total N for "等N项"."""
    names = ranked.names if isinstance(ranked, RankedList) else ranked
    return names[:top], len(names)
