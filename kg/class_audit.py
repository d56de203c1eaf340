"""Class coverage for `qizhen kg audit`: how many Western drug nodes have a class, by derivation,
and which are left without one; TCM counted apart.

The denominator — **Western single-ingredient drug nodes with a generic name** — is decided per
Drug node from its own signals (kg.classes.drug_kind, run on its 通用名 when it has one):

- *Western*: an IN_CLASS edge from the ATC table, an INN stem, a salt or ester in the Chinese name,
  or an English name that is not pinyin; TCM patent medicines (中成药 label, 功能主治/功效 text,
  pinyin English name, traditional form) and herbs (性味, 入药部位 …) are counted separately;
  nodes with no signal either way are `unknown` and counted apart too.
- *generic name*: a 通用名 property, or a name that carries a dosage form, salt or ester (a
  product name), or an English name; a bare Chinese name with none of these (a brand such as
  达美康) has no generic name to classify by. Decided without the class, so a drug the resolver
  misses is still counted.
- *single-ingredient*: not 复方…, no "/"、"+"、"与"、"和" joining names, no "Compound" or " and "
  in the English name, and not two substances side by side (阿司匹林维生素c: both halves carry an
  INN stem or name a drug the ATC table classified; counted in `two_substance`).

Because an INN stem is itself a Western signal, the report also gives the coverage over the nodes
that are Western for another reason (`strict`), which no stem match can inflate.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field

from kg.classes import DrugKind, combination_parts, drug_kind, generic_name, name_variants, stem_class
from kg.drug_classes import ATC_DATASET, generic_source
from kg.schema import NodeType, RelType
from kg.stores.base import GraphStore

_COMBINATION = re.compile(r"^复方|[/+＋]|与|和")
_EN_COMBINATION = re.compile(r"\bcompound\b|\band\b", re.IGNORECASE)


@dataclass
class ClassCoverage:
    drugs: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # western / tcm_patent / tcm_herb / unknown
    combinations: int = 0  # Western nodes left out as combinations
    two_substance: int = 0  # … of them named as two substances side by side, no 复方 or separator
    two_substance_classified: int = 0  # … of those with a class (to compare with the older definition)
    no_generic: int = 0  # Western nodes left out for want of a generic name
    denominator: int = 0  # Western single-ingredient drug nodes with a generic name
    classified: int = 0
    by_derivation: dict[str, int] = field(default_factory=dict)  # the class an answer uses first
    strict_denominator: int = 0  # … Western for a reason other than an INN stem
    strict_classified: int = 0
    tcm_marked: int = 0  # TCM patent medicines with the 中成药 class
    unclassified: list[str] = field(default_factory=list)  # examples left without a class

    @property
    def coverage(self) -> float:
        return self.classified / self.denominator if self.denominator else 0.0

    @property
    def strict_coverage(self) -> float:
        return self.strict_classified / self.strict_denominator if self.strict_denominator else 0.0

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "coverage": round(self.coverage, 4), "strict_coverage": round(self.strict_coverage, 4)}


_ORDER = {ATC_DATASET: 0, "inn-stem": 1, "name-pattern": 2, "source-class": 3}


def class_coverage(store: GraphStore, examples: int = 30) -> ClassCoverage:
    edges = [e for e in store.edge_rows(RelType.IN_CLASS) if not e.flag]
    index = store.name_index()
    names = {e.id: e.name for e in index if e.type is NodeType.CATEGORY}
    best: dict[str, str] = {}
    tcm: set[str] = set()
    for e in edges:
        if names.get(e.target_id) == "中成药":
            tcm.add(e.source_id)
            continue
        if e.source_id not in best or _ORDER.get(e.dataset, 9) < _ORDER.get(best[e.source_id], 9):
            best[e.source_id] = e.dataset
    table_generics = {generic_name(n) for i, _t, n, _a in index if best.get(i) == ATC_DATASET}

    def known(part: str) -> bool:
        return generic_name(part) in table_generics or stem_class(part) is not None

    out = ClassCoverage()
    kinds: Counter[str] = Counter()
    derived: Counter[str] = Counter()
    missing: list[str] = []
    for batch in store.iter_entities():
        for d in batch:
            if d.type != NodeType.DRUG:
                continue
            out.drugs += 1
            source = generic_source(d)
            table = best.get(d.id) == ATC_DATASET
            kind = DrugKind.WESTERN if table else drug_kind(source, d.properties)
            kinds[kind.value] += 1
            out.tcm_marked += kind == DrugKind.TCM_PATENT and d.id in tcm
            if kind != DrugKind.WESTERN:
                continue
            english = d.properties.get("英文名") or d.properties.get("英文名称") or ""
            english = english if isinstance(english, str) else "、".join(english)
            if _COMBINATION.search(source) or _EN_COMBINATION.search(english):
                out.combinations += 1
                continue
            variants = name_variants(source)
            if combination_parts(name_variants(source, esters=False)[0], known) is not None:
                out.combinations += 1
                out.two_substance += 1
                out.two_substance_classified += d.id in best
                continue
            if not ("通用名" in d.properties or len(variants) > 1 or variants[:1] != [source] or english):
                out.no_generic += 1
                continue
            out.denominator += 1
            stem_only = not table and stem_class(source) is not None and not (
                len(variants) > 1 or (english.isascii() and english))
            out.strict_denominator += not stem_only
            if d.id in best:
                out.classified += 1
                out.strict_classified += not stem_only
                derived[best[d.id]] += 1
            elif len(missing) < examples:
                missing.append(d.name)
    out.kinds = dict(sorted(kinds.items()))
    out.by_derivation = dict(sorted(derived.items(), key=lambda kv: _ORDER.get(kv[0], 9)))
    out.unclassified = missing
    return out
