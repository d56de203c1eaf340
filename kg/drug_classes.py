"""The class pass: after every ingest, give each Drug the table lacks a class by INN stem or by
its sources' class text, and mark traditional patent medicines (中成药).

Why after every ingest and not inside the `atc` source: a graph built from CMeKG alone (no ATC
table) still gets stem classes, and a drug source ingested after the table still gets its
classes; the pass is idempotent and reads only names, classes and a few properties.

Per Drug node (kg.classes.drug_kind decides Western / TCM from the drug's own signals):

- it has an IN_CLASS edge from the `atc` source → nothing to derive; earlier stem/source edges of
  it are flagged `superseded` (kept, left out of answers);
- Western (or unknown) → `stem_class` of its generic name (通用名 when the node is a brand: an INN
  stem, or a name pattern such as 维生素… / 氯化钾 / a bracketed radionuclide), else
  `source_class` of its 药品类型 / 分类 / 用途分类 text and IN_CATEGORY targets → an IN_CLASS edge
  (dataset "inn-stem", "name-pattern" or "source-class") to the class's Category node (created when missing);
- a TCM patent medicine → an IN_CLASS edge (dataset "source-class") to the Category 中成药.

An edge this pass wrote earlier that it would not write now is flagged `superseded`.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from kg.classes import (
    TCM_CLASS,
    DrugClass,
    DrugKind,
    class_node_id,
    combination_parts,
    drug_kind,
    generic_name,
    name_variants,
    source_class,
    stem_class,
)
from kg.schema import Entity, NodeType, Relation, RelType
from kg.stores.base import EdgeRow, GraphStore

ATC_DATASET = "atc"
DERIVED = ("inn-stem", "name-pattern", "source-class")
SUPERSEDED = "superseded"
#: the predicate of a table class that a combination takes from its main (first-named) ingredient
COMPONENT = "atc-component"
CLASS_PROPS = ("药品类型", "分类", "用途分类")


@dataclass
class ClassSummary:
    drugs: int = 0
    by_derivation: dict[str, int] = field(default_factory=dict)  # drugs with a usable class, per dataset
    kinds: dict[str, int] = field(default_factory=dict)
    written: int = 0
    flagged: int = 0
    seconds: float = 0.0


def _text(props: dict[str, object], keys: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for k in keys:
        v = props.get(k)
        out += [v] if isinstance(v, str) else [x for x in v or [] if isinstance(x, str)]  # type: ignore[attr-defined]
    return out


def generic_source(drug: Entity) -> str:
    """The name a class is read from: 通用名 for a brand node (喜宁 → 盐酸西替利嗪分散片), else its name."""
    value = drug.properties.get("通用名")
    text = value if isinstance(value, str) else (value[0] if value else "")
    return text or drug.name


def classify(drug: Entity, categories: list[str]) -> tuple[DrugKind, DrugClass | None]:
    """What the pass derives for one drug without a table class."""
    kind = drug_kind(generic_source(drug), drug.properties, categories)
    if kind == DrugKind.TCM_PATENT:
        return kind, DrugClass("", TCM_CLASS, 0, "source")
    if kind == DrugKind.TCM_HERB:
        return kind, None
    found = stem_class(generic_source(drug))  # never the brand's name (菲普利 is no ACE inhibitor)
    return kind, found or source_class([*_text(drug.properties, CLASS_PROPS), *categories])


def class_entity(c: DrugClass) -> Entity:
    if not c.code:
        return Entity.named(c.name, NodeType.CATEGORY, sources=[c.dataset])
    return Entity(id=class_node_id(c.code), type=NodeType.CATEGORY, name=c.name, aliases=[c.code],
                  properties={"ATC代码": c.code, "级别": str(c.level)}, sources=[c.dataset], described=True)


def assign_classes(store: GraphStore) -> ClassSummary:
    t0 = time.perf_counter()
    edges = store.edge_rows(RelType.IN_CLASS)
    with_atc = {e.source_id for e in edges if e.dataset == ATC_DATASET}
    names = {e.id: e.name for e in store.name_index()}
    cats: dict[str, list[str]] = defaultdict(list)
    for e in store.edge_rows(RelType.IN_CATEGORY):
        if not e.flag and e.target_id in names:
            cats[e.source_id].append(names[e.target_id])
    by_generic = _table_classes_by_generic(store, edges)
    summary = ClassSummary()
    kinds: Counter[str] = Counter()
    derived: Counter[str] = Counter({ATC_DATASET: len(with_atc)})
    wanted: dict[tuple[str, str, str], Relation] = {}
    wanted_atc: list[Relation] = []
    nodes: dict[str, Entity] = {}
    for batch in store.iter_entities():
        for d in batch:
            if d.type != NodeType.DRUG:
                continue
            summary.drugs += 1
            if d.id in with_atc:
                kinds[DrugKind.WESTERN.value] += 1
                continue
            same = by_generic.get(generic_name(generic_source(d)), ())
            if same:  # a brand or another product of a substance the table has (喜宁 → 西替利嗪's class)
                kinds[DrugKind.WESTERN.value] += 1
                derived[ATC_DATASET] += 1
                for cls in same:
                    rel = Relation(d.id, RelType.IN_CLASS, cls, ATC_DATASET, ATC_DATASET)
                    wanted_atc.append(rel)
                continue
            kind, found = classify(d, cats.get(d.id, []))
            kinds[kind.value] += 1
            component = _component_classes(generic_source(d), by_generic) if kind in (
                DrugKind.WESTERN, DrugKind.UNKNOWN) else ()
            if component:  # a combination whose main (first) ingredient the table has: 阿司匹林维生素c
                derived[ATC_DATASET] += 1
                wanted_atc += [Relation(d.id, RelType.IN_CLASS, cls, ATC_DATASET, COMPONENT) for cls in component]
                continue
            if found is None:
                continue
            nodes.setdefault(found.node_id, class_entity(found))
            rel = Relation(d.id, RelType.IN_CLASS, found.node_id, found.dataset, found.dataset)
            wanted[(rel.source_id, rel.target_id, rel.dataset)] = rel
            derived[found.dataset if found.code else TCM_CLASS] += 1
    stored = {(e.source_id, e.target_id, e.dataset): e.flag for e in edges if e.dataset in DERIVED}
    fresh = [r for k, r in wanted.items() if k not in stored]
    flags = [Relation(s, RelType.IN_CLASS, t, ds, flag=SUPERSEDED) for (s, t, ds), f in stored.items()
             if (s, t, ds) not in wanted and f != SUPERSEDED]
    flags += [Relation(s, RelType.IN_CLASS, t, ds) for (s, t, ds), f in stored.items() if (s, t, ds) in wanted and f]
    if fresh:
        store.upsert_entities([n for n in nodes.values() if n.id in {r.target_id for r in fresh}])
        store.upsert_relations(fresh)
    if wanted_atc:
        store.upsert_relations(wanted_atc)
        fresh += wanted_atc
    if flags:
        store.set_flags(flags)
    summary.written, summary.flagged = len(fresh), len(flags)
    summary.kinds = dict(sorted(kinds.items()))
    summary.by_derivation = dict(sorted(derived.items()))
    summary.seconds = round(time.perf_counter() - t0, 3)
    return summary


def _component_classes(name: str, by_generic: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The table classes of a combination's main ingredient, when the table has it and it carries
    no INN stem (a stem's class is the stem route's: stem_class already takes the first component);
    it outranks a stem of the second ingredient (曲克芦丁羟丙茶碱 is troxerutin's, not a xanthine's)."""
    variants = name_variants(name, esters=False)
    if not variants:
        return ()

    def known(part: str) -> bool:
        return generic_name(part) in by_generic or stem_class(part) is not None

    parts = combination_parts(variants[0], known)
    if parts is None or stem_class(parts[0]) is not None:
        return ()
    return by_generic.get(generic_name(parts[0]), ())


def _table_classes_by_generic(store: GraphStore, edges: list[EdgeRow]) -> dict[str, tuple[str, ...]]:
    """Generic name → the ATC table classes of the drugs the `atc` source matched by that name, so a
    brand (通用名) or another product of the same substance gets the table's class too."""
    table = defaultdict(list)
    for e in edges:
        if e.dataset == ATC_DATASET and not e.flag:
            table[e.source_id].append(e.target_id)
    out: dict[str, tuple[str, ...]] = {}
    for d in store.get_entities(sorted(table)) if table else []:
        key = generic_name(generic_source(d))
        # only a node named by its generic product name vouches for the substance: a brand node that
        # merged two products (海普: 硫酸沙丁胺醇片 and 碘解磷定注射液) matched the table through the other one
        if len(key) >= 2 and generic_name(d.name) == key:
            out.setdefault(key, tuple(dict.fromkeys(table[d.id])))
    return out
