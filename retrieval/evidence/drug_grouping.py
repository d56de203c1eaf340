"""What a disease's drug list is folded by (retrieval.evidence.salience): a product's generic and its group.

- `generic_of(name)`: the ingredient a product name reduces to (硫酸沙丁胺醇吸入气雾剂 → 沙丁胺醇).
- `DrugGrouping`: per product, the pharmacological group it is shown under (its IN_CLASS class, else
  its most specific CMeKG 分类 IN_CATEGORY), whether it is a patent medicine (中成药 categories, TCM
  efficacy categories, a name that reads like one), class sizes and ATC codes by class name.

Not `retrieval.pairs.drug_classes.DrugClassIndex`: that index answers questions ABOUT classes (which drugs
are in 质子泵抑制剂, how text names a drug's classes) from the ATC class nodes and their IN_CLASS
members; this table only labels the items of a drug list, from both edge types, and also decides
what is Western and what is 中成药 — a split neither the ATC classes nor the index make.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from kg import lexicon
from kg.normalize import DOSAGE_FORMS, SALT_PREFIXES, normalize_name
from kg.schema import Entity, NameEntry, NodeType, RelType
from kg.stores.base import GraphStore

#: A category with fewer members graph-wide is more likely a crawl slip than a class.
MIN_CLASS_SIZE = 5
#: Category names that say nothing about the pharmacological class.
_BROAD = re.compile(r"处方|非处方|医保|基本药物|OTC|西药|化学药|其他|其它|科$")
_TCM_CATEGORY = re.compile(r"中成药|中药")
#: a category named by a TCM efficacy (润肺止咳, 清热解毒): the CMeKG 分类 of patent medicines
_TCM_EFFECT = re.compile(f"^(?:[{lexicon.TCM_ACTION_VERBS}][{lexicon.TCM_ACTION_OBJECTS}]){{1,3}}")
_ATC_CODE = re.compile(r"[A-Z]\d{2}[A-Z]{0,2}(?:\d{2})?")
#: Words between the ingredient and the dosage form (吸入用…溶液, …吸入气雾剂, …雾化液).
_ROUTE = re.compile(r"^(?:吸入用|注射用|复方|吸入|雾化)|(?:吸入|雾化|粉|混悬|泡腾|口服|外用|鼻用|眼用|缓释|控释|肠溶|氯化钠|葡萄糖)+$")
#: Ester / salt parts of inhaled steroids and β2 agonists that the name index does not strip.
_SALTS = tuple(sorted({*SALT_PREFIXES, "丙酸", "昔萘酸", "糠酸", "二丙酸"},
                      key=len, reverse=True))
_SALT_SUFFIXES = ("钠", "钾", "钙")
_FORMS = tuple(sorted(set(DOSAGE_FORMS) | {"吸入粉雾剂", "粉雾剂", "雾化液", "粉吸入剂", "喷雾剂", "气雾剂",
                                           "注射液", "雾化吸入溶液", "混悬液"},
                      key=len, reverse=True))
_FORM_SET = frozenset(_FORMS)
_FORM_LENGTHS = sorted({len(f) for f in _FORMS}, reverse=True)


def _strip_form(n: str) -> str:
    for length in _FORM_LENGTHS:  # longest form first, one set lookup per length
        if len(n) - length >= 2 and n[-length:] in _FORM_SET:
            return n[:-length]
    return n


@lru_cache(maxsize=1 << 16)
def generic_of(name: str) -> str:
    """Ingredient-level name of a product: 硫酸沙丁胺醇吸入气雾剂 → 沙丁胺醇, 孟鲁司特钠咀嚼片 → 孟鲁司特."""
    n = re.sub(r"\([^()]*\)$", "", normalize_name(name))
    for _ in range(3):
        before = n
        n = _ROUTE.sub("", n) if len(n) > 4 else n
        n = _strip_form(n)
        if n == before:
            break
    for prefix in _SALTS:
        if n.startswith(prefix) and len(n) - len(prefix) >= 3:
            n = n[len(prefix):]
            break
    for suffix in _SALT_SUFFIXES:
        if n.endswith(suffix) and len(n) - len(suffix) >= 3:
            n = n[: -len(suffix)]
            break
    return n


@lru_cache(maxsize=1 << 16)
def has_form(name: str) -> bool:
    n = normalize_name(name)
    return n.startswith("注射用") or any(n[-k:] in _FORM_SET for k in _FORM_LENGTHS if len(n) > k)


@dataclass(slots=True)
class DrugGrouping:
    """What a disease's drug list is grouped by, read once (`build`): product id → its categories
    (IN_CLASS first, then CMeKG 分类), which products are patent medicines, and which generics
    have products at all."""

    categories: dict[str, list[str]] = field(default_factory=dict)  # drug id → class names
    size: Counter[str] = field(default_factory=Counter)  # class name → members graph-wide
    tcm: set[str] = field(default_factory=set)  # drug ids in a 中成药 category
    product_generics: set[str] = field(default_factory=set)  # generics some product name reduces to
    #: character → log odds of a patent-medicine name against a Western generic, learnt from the
    #: classified drugs (补 肾 丸 … vs 沙 胺 唑 …): decides products that carry no class at all
    tcm_odds: dict[str, float] = field(default_factory=dict)
    #: (drug id, condition id) stated both as an indication and as an adverse reaction of that drug
    #: (左甲状腺素钠片 → 甲亢): such a drug does not stand for the condition on that statement alone
    also_adverse: set[tuple[str, str]] = field(default_factory=set)
    codes: dict[str, str] = field(default_factory=dict)  # ATC class name → its code

    @classmethod
    def build(cls, store: GraphStore, names: Iterable[NameEntry]) -> DrugGrouping:
        table = cls()
        name_of: dict[str, str] = {}
        for ident, typ, name, aliases in names:
            name_of[ident] = name
            if typ == NodeType.CATEGORY:  # an ATC class node carries its code as an alias
                code = next((a for a in aliases if _ATC_CODE.fullmatch(a)), "")
                if code:
                    table.codes.setdefault(name, code)
            if typ == NodeType.DRUG and has_form(name):
                table.product_generics.add(generic_of(name))
        rels = [r for r in (getattr(RelType, "IN_CLASS", None), RelType.IN_CATEGORY) if r is not None]
        effect: set[str] = set()
        for rel in rels:  # IN_CLASS first: a drug with an ATC class keeps it
            for row in store.edge_rows(rel):
                cat = name_of.get(row.target_id, "")
                if not cat or row.flag:
                    continue
                if _TCM_CATEGORY.search(cat):
                    table.tcm.add(row.source_id)
                    continue
                if _TCM_EFFECT.fullmatch(normalize_name(cat)):
                    effect.add(row.source_id)  # 止咳化痰 also files Western products: decided below
                    continue
                if _BROAD.search(cat):
                    continue
                have = table.categories.setdefault(row.source_id, [])
                if rel != RelType.IN_CATEGORY or not any(c.startswith("ATC:") for c in have):
                    have.append(cat if rel == RelType.IN_CATEGORY else f"ATC:{cat}")
                table.size[cat if rel == RelType.IN_CATEGORY else f"ATC:{cat}"] += 1
        table.tcm |= effect - table.categories.keys()  # an efficacy category and no pharmacological one
        indicated = {(r.source_id, r.target_id) for r in store.edge_rows(RelType.INDICATED_FOR) if not r.flag}
        table.also_adverse = {(r.source_id, r.target_id) for r in store.edge_rows(RelType.ADVERSE_REACTION)
                              if not r.flag and (r.source_id, r.target_id) in indicated}
        table.tcm_odds = _char_odds([generic_of(name_of.get(i, "")) for i in table.tcm],
                                    [generic_of(name_of.get(i, "")) for i in table.categories if i not in table.tcm])
        return table

    def atc_codes(self, drug: Entity) -> list[str]:
        """The ATC codes of a drug's IN_CLASS classes (retrieval.safety.population_classes matches rules on them)."""
        return [code for c in self.categories.get(drug.id, ()) if c.startswith("ATC:")
                if (code := self.codes.get(c.removeprefix("ATC:"), ""))]

    def looks_tcm(self, generic: str) -> bool:
        """An unclassified product whose name reads like a patent medicine (龟鹿补肾, 养心定悸)."""
        if not self.tcm_odds or not generic:
            return False
        return sum(self.tcm_odds.get(ch, 0.0) for ch in generic) / len(generic) > 0

    def best_class(self, ids: Iterable[str]) -> str:
        """The class of a generic from its products' categories: an ATC class first, else the one
        most of them carry, ties to the most specific (fewest members graph-wide)."""
        votes: Counter[str] = Counter()
        for i in ids:
            votes.update(set(self.categories.get(i, ())))
        if not votes:
            return ""
        atc = [c for c in votes if c.startswith("ATC:")]
        pool = atc or [c for c in votes if self.size[c] >= MIN_CLASS_SIZE] or list(votes)
        return min(pool, key=lambda c: (-votes[c], self.size[c], c))


def _char_odds(tcm: list[str], western: list[str]) -> dict[str, float]:
    """Per character, the smoothed log odds of appearing in a patent-medicine name."""
    a, b = Counter(ch for n in tcm for ch in n), Counter(ch for n in western for ch in n)
    ta, tb = sum(a.values()) or 1, sum(b.values()) or 1
    return {ch: math.log((a[ch] + 1) / ta) - math.log((b[ch] + 1) / tb) for ch in set(a) | set(b)}
