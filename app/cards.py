"""The entity card as a clinician reads it: header, summary table, sections in clinical order.

One typed model used by the UI, `GET /entities/{id}` and `qizhen kg show`, so the three show the
same sections in the same order with the same counts. Lists are ranked by `rank_items` (a simple
rule; retrieval/evidence/ranking.py is meant to replace it behind the same function).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel, Field

from app.card_groups import CardGroups, card_groups
from app.card_trust import (
    MISSING_DRUG,
    MISSING_OTHER,
    POPULATION_PROPS,
    clean_fragment,
    dominant,
    population_sentences,
    support_label,
    weight,
    without_complications,
)
from kg.classes import class_label
from kg.schema import Direction, Entity, EntityCard, Fact, NodeType, RelType
from kg.stores.base import GraphStore
from kg.topics import Topic
from kg.topics import topic_keys as keys
from kg.vocabulary import TRUNCATED_SUFFIX, rel_label, source_label, type_label
from models.types import EntityRef
from retrieval.evidence import property_datasets
from retrieval.evidence.ranking import family_of, rank

#: Items shown before "展开全部 N 项"; the JSON carries at most MAX_ITEMS per section (with the true N).
CARD_TOP_ITEMS = 10
MAX_ITEMS = 500
#: Facts read per (relationship, direction): enough that N is the real count for any entity.
MAX_FACTS = 50_000


class SourcedValue(BaseModel):
    text: str
    sources: list[str] = Field(default=[], description="datasets that state this value")
    support: str = Field(default="", description="how it is supported: 多来源一致 / 药品手册 / 单一来源·…")


class SummaryRow(BaseModel):
    label: str
    values: list[SourcedValue] = Field(default=[], description="empty when the graph has nothing")
    disagree: bool = Field(default=False, description="sources give different values: each is shown (来源不一致)")


class CardItem(BaseModel):
    id: str = Field(default="", description="the item's entity id ('' for a name that matched no node)")
    name: str
    type: str = ""
    datasets: list[str] = []
    flag: str = Field(default="", description="cleaning reason: non-empty items are low-confidence")
    support: str = Field(default="", description="how it is supported (app.card_trust.support_label)")


class CardSection(BaseModel):
    key: str = Field(description="stable key, e.g. indication or HAS_CAUSE:out")
    title: str
    total: int = Field(description="N in '展开全部 N 项': every distinct usable item")
    items: list[CardItem] = Field(default=[], description="ranked, at most MAX_ITEMS")
    texts: list[SourcedValue] = Field(default=[], description="prose from the sources")
    low_confidence: list[CardItem] = Field(default=[], description="items every source of which is flagged")
    parts: list[SummaryRow] = Field(default=[], description="labelled sub-rows (特殊人群: 妊娠, 哺乳 …)")
    support: str = Field(default="", description="the section's usual support; items differing carry their own")
    empty_text: str = Field(default="", description="non-empty when the graph holds nothing for this section")


class EntityCardOut(CardGroups):
    """The served card: `entity` and `groups` (app.card_groups) stay for API clients; the rest is the
    clinician layout."""

    type_label: str = ""
    heading: str = Field(default="", description="the dialog's title: 药品信息 / 疾病信息 / …信息")
    source_labels: list[str] = []
    summary: list[SummaryRow] = []
    sections: list[CardSection] = []
    more: list[SummaryRow] = Field(default=[], description="other properties, after the sections")


@dataclass(frozen=True, slots=True)
class SectionSpec:
    key: str
    title: str
    rels: tuple[tuple[RelType, Direction], ...] = ()
    props: tuple[str, ...] = ()
    fixed: bool = True  # a monograph section: always shown, with the missing text when empty


OUT, IN = Direction.OUT, Direction.IN
R = RelType
T = Topic  # which property keys fill a section: kg.topics

#: the monograph: drug and disease sections in clinical order; `fixed` ones are always shown
SECTIONS: dict[str, tuple[SectionSpec, ...]] = {
    NodeType.DRUG.value: (
        SectionSpec("indication", "适应症", ((R.INDICATED_FOR, OUT), (R.TREATED_BY, IN)), keys(T.INDICATION)),
        SectionSpec("usage", "用法用量", (), keys(T.DOSE, T.STRENGTH)),
        SectionSpec("contraindication", "禁忌", ((R.CONTRAINDICATED, OUT),), keys(T.CONTRAINDICATION)),
        SectionSpec("precautions", "警示/注意事项", (), keys(T.WARNINGS, T.CAUTIONS)),
        SectionSpec("adverse_reaction", "不良反应", ((R.ADVERSE_REACTION, OUT),), keys(T.ADVERSE)),
        SectionSpec("interaction", "相互作用", ((R.INTERACTS_WITH, OUT), (R.INTERACTS_WITH, IN)), keys(T.INTERACTION)),
        SectionSpec("population", "特殊人群"),
        SectionSpec("ingredient", "成份", ((R.HAS_INGREDIENT, OUT),), keys(T.INGREDIENT), fixed=False),
    ),
    NodeType.DISEASE.value: (
        SectionSpec("overview", "概述", (), keys(T.OVERVIEW)),
        SectionSpec("symptom", "症状", ((R.HAS_SYMPTOM, OUT),), keys(T.SYMPTOMS)),
        SectionSpec("check", "检查", ((R.NEEDS_CHECK, OUT),), keys(T.CHECKS)),
        SectionSpec("drug", "治疗药物", ((R.TREATED_BY, OUT), (R.INDICATED_FOR, IN)), keys(T.DRUG_CUT, T.DRUG_TEXT)),
        SectionSpec("complication", "并发症", ((R.COMPLICATION, OUT),), keys(T.COMPLICATION)),
        SectionSpec("department", "科室", ((R.IN_DEPARTMENT, OUT),), keys(T.DEPARTMENT)),
        SectionSpec("cause", "病因", ((R.HAS_CAUSE, OUT),), keys(T.CAUSE), fixed=False),
        SectionSpec("prevention", "预防", (), keys(T.PREVENTION), fixed=False),
        SectionSpec("treatment", "治疗", (), keys(T.TREATMENT), fixed=False),
        SectionSpec("good_food", "宜吃食物", ((R.GOOD_FOOD, OUT),), keys(T.GOOD_FOOD, T.RECIPES), fixed=False),
        SectionSpec("avoid_food", "忌吃食物", ((R.AVOID_FOOD, OUT),), keys(T.AVOID_FOOD), fixed=False),
        SectionSpec("nursing", "护理", (), keys(T.NURSING), fixed=False),
    ),
}

SummarySpec = tuple[str, tuple[str, ...], tuple[RelType, ...]]  # label, property keys, relationships
SUMMARY: dict[str, tuple[SummarySpec, ...]] = {
    NodeType.DRUG.value: (
        ("通用名", ("通用名",), ()),
        ("商品名", ("商品名",), ()),
        ("分类", keys(T.DRUG_TYPE, T.CLASS_TEXT), (R.IN_CLASS, R.IN_CATEGORY)),
        ("英文名称", ("英文名", "英文名称"), ()),
        ("OTC/处方", ("OTC类型", "处方类型", "是否处方药"), ()),
        ("监管分级", ("药品监管分级", "特殊药品"), ()),
        ("简介", keys(T.OVERVIEW), ()),
    ),
    NodeType.DISEASE.value: (("别名", (), ()),),
}
#: summary rows shown even when empty (with the missing text); the others only when the graph has them
FIXED_SUMMARY = frozenset({"通用名", "商品名", "分类", "别名"})
#: regulatory and classification rows: values ordered by source weight, each with its support label
REGULATORY = frozenset({"分类", "OTC/处方", "监管分级"})
DEFAULT_SUMMARY: tuple[SummarySpec, ...] = (("别名", (), ()), ("简介", keys(T.OVERVIEW), ()))


def rank_items(items: Iterable[CardItem]) -> list[CardItem]:
    """Low-confidence items: stated by more datasets first, then by name (stable, deterministic)."""
    return sorted(items, key=lambda i: (-len(i.datasets), i.name))


#: relationships whose items lead their summary row, before the sources' own text (the ATC class)
LEAD_RELS = (R.IN_CLASS,)


def load_card(store: GraphStore, entity_id: str) -> EntityCard | None:
    """The raw card with every fact (the store's default caps each relationship at 200 rows); a
    drug's classes read "二氢吡啶衍生物（ATC代码 C08CA）" (the code is a property of the class node)."""
    card = store.card(entity_id, limit_per_type=MAX_FACTS)
    if card is None:
        return None
    classes = {f.target_id for f in card.facts if f.relation == R.IN_CLASS and f.direction == OUT}
    if classes:
        codes = {e.id: e.properties.get("ATC代码") for e in store.get_entities(sorted(classes))}
        card.facts = [replace(f, target_name=class_label(f.target_name, codes[f.target_id]))  # type: ignore[arg-type]
                      if f.target_id in classes and f.direction == OUT and isinstance(codes.get(f.target_id), str)
                      and codes[f.target_id] else f for f in card.facts]
    return card


def resolve_names(store: GraphStore, names: Iterable[str]) -> list[EntityRef]:
    """The names that are graph entities (exact normalized name or alias), first match each, in order."""
    out: list[EntityRef] = []
    for name in dict.fromkeys(n.strip() for n in names):
        found = store.find_by_name(name) if name else []
        if found:
            out.append(EntityRef(id=found[0].id, name=name, type=found[0].type.value))
    return out


def prop_sources(entity: Entity, prop: str) -> list[str]:
    """The datasets recorded as writing `prop` on this entity (a guess only for graphs built before
    provenance was recorded)."""
    return property_datasets(entity, prop)


def _values(value: object) -> list[str]:
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
    out: list[str] = []
    for v in items:
        text = str(v).strip()
        if text and text not in out:
            out.append(text)
    return out


def _items(facts: Iterable[Fact], prevalence: Mapping[str, int] | None = None) -> tuple[list[CardItem], list[CardItem]]:
    """Facts → one item per other end, ranked by the same rule as answers (retrieval.evidence.ranking: usable
    facts only, near-duplicates folded, strongest first), so N is the same in the answer and the card;
    (usable, low-confidence)."""
    facts = list(facts)
    if not facts:
        return [], []
    ranked = rank(facts, family=family_of(facts[0]), prevalence=prevalence)
    usable = [CardItem(id=it.target_id, name=it.name, type=it.target_type.value, datasets=sorted(it.datasets),
                       support=support_label(it.datasets)) for it in ranked.items]
    shown = {n for it in ranked.items for n in (it.name, *it.merged)}
    flagged: dict[str, CardItem] = {}
    for f in facts:
        if not f.flag or f.target_name in shown:
            continue  # a usable statement by any source wins
        item = flagged.setdefault(f.target_id, CardItem(id=f.target_id, name=f.target_name,
                                                        type=f.target_type.value, flag=f.flag))
        if f.dataset not in item.datasets:
            item.datasets.append(f.dataset)
    for item in flagged.values():
        item.support = support_label(item.datasets)
    return usable, rank_items(flagged.values())


class _Builder:
    def __init__(self, card: EntityCard, prevalence: Mapping[str, int] | None = None) -> None:
        self.entity = card.entity
        self.prevalence = prevalence
        self.by_rel: dict[tuple[RelType, Direction], list[Fact]] = {}
        for f in card.facts:
            self.by_rel.setdefault((f.relation, f.direction), []).append(f)
        self.used_props: set[str] = set()
        self.used_rels: set[tuple[RelType, Direction]] = set()

    def prop_values(self, keys: Sequence[str]) -> list[SourcedValue]:
        out: list[SourcedValue] = []
        for key in keys:
            if key not in self.entity.properties:
                continue
            self.used_props.add(key)
            sources = prop_sources(self.entity, key)
            by_value: dict[str, set[str]] = {}  # datasets that disagreed recorded their own value
            for ps in self.entity.property_sources.get(key, []):
                if ps.value:
                    by_value.setdefault(ps.value.strip(), set()).add(ps.dataset)
            for t in _values(self.entity.properties[key]):
                own = sorted(by_value.get(t, ())) or sources
                guessed = not self.entity.datasets_of(key) and len(own) > 1  # no agreement claimed on a guess
                out.append(SourcedValue(text=clean_fragment(t), sources=own,
                                        support="" if guessed else support_label(own)))
        return out

    def facts(self, rels: Sequence[tuple[RelType, Direction]]) -> list[Fact]:
        out: list[Fact] = []
        for key in rels:
            self.used_rels.add(key)
            out.extend(self.by_rel.get(key, []))
        return out

    def summary_row(self, label: str, props: Sequence[str], rels: Sequence[RelType]) -> SummaryRow:
        e = self.entity
        if label == "别名":
            aliases = e.aliases
            if e.type == NodeType.DISEASE:  # an alias naming its own complication is a source's mistake
                complications = [f.target_name for f in self.by_rel.get((R.COMPLICATION, OUT), [])]
                complications += _values(e.properties.get("并发症", []))
                aliases = without_complications(aliases, complications)
            values = [SourcedValue(text="、".join(aliases), sources=list(e.sources))] if aliases else []
        else:
            lead, _ = _items(self.facts([(r, OUT) for r in rels if r in LEAD_RELS]), self.prevalence)
            values = [SourcedValue(text=i.name, sources=i.datasets) for i in lead] + self.prop_values(props)
            items, _ = _items(self.facts([(r, OUT) for r in rels if r not in LEAD_RELS]), self.prevalence)
            known = {v.text for v in values}
            values += [SourcedValue(text=i.name, sources=i.datasets, support=i.support)
                       for i in items if i.name not in known]
            if label == "通用名" and not values:
                values = [SourcedValue(text=e.name, sources=list(e.sources), support=support_label(e.sources))]
            if label in REGULATORY:  # handbook and curated lists first, consumer sites last
                values.sort(key=lambda v: -weight(v.sources))
        sources = {s for v in values for s in v.sources}
        list_like = label in ("商品名", "英文名称", "科室")  # several values are a list, not a disagreement
        return SummaryRow(label=label, values=values,
                          disagree=not list_like and len(values) > 1 and len(sources) > 1)

    def populations(self, spec: SectionSpec) -> CardSection:
        """特殊人群: one row per population, from the drug's texts that mention it."""
        texts = {k: _values(v) for k, v in self.entity.properties.items()}
        self.used_props.update(k for keys in POPULATION_PROPS.values() for k in keys if k in texts)
        parts = []
        for label, found in population_sentences(texts).items():
            values = []
            for text, key in found:
                sources = prop_sources(self.entity, key)
                values.append(SourcedValue(text=text, sources=sources, support=support_label(sources)))
            parts.append(SummaryRow(label=label, values=values))
        return CardSection(key=spec.key, title=spec.title, total=0, parts=parts,
                           support=dominant(v.support for p in parts for v in p.values))

    def section(self, spec: SectionSpec) -> CardSection:
        if spec.key == "population":
            return self.populations(spec)
        items, low = _items(self.facts(spec.rels), self.prevalence)
        truncated = [v for v in self.prop_values([p for p in spec.props if p.endswith(TRUNCATED_SUFFIX)])]
        names = {i.name for i in items}
        items += [CardItem(name=v.text.rstrip(".…") + "…", datasets=v.sources)  # a source's own cut, marked …
                  for v in truncated if v.text not in names]
        texts = self.prop_values([p for p in spec.props if not p.endswith(TRUNCATED_SUFFIX)])
        for item in items:
            item.support = item.support or support_label(item.datasets)
        return CardSection(key=spec.key, title=spec.title, total=len(items), items=items[:MAX_ITEMS], texts=texts,
                           low_confidence=low[:MAX_ITEMS],
                           support=dominant([*(i.support for i in items), *(v.support for v in texts)]))

    def remaining_sections(self) -> list[CardSection]:
        out: list[CardSection] = []
        order = {rel: i for i, rel in enumerate(RelType)}
        rest = sorted((k for k in self.by_rel if k not in self.used_rels),
                      key=lambda k: (k[1] == IN, order[k[0]]))
        for rel, direction in rest:
            items, low = _items(self.by_rel[(rel, direction)], self.prevalence)
            out.append(CardSection(key=f"{rel.value}:{direction.value}",
                                   title=rel_label(rel, direction, self.entity.name),
                                   total=len(items), items=items[:MAX_ITEMS], low_confidence=low[:MAX_ITEMS],
                                   support=dominant(i.support for i in items)))
        return out


def build_card(card: EntityCard, prevalence: Mapping[str, int] | None = None) -> EntityCardOut:
    """The clinician layout of a raw card: summary, sections in clinical order, then the rest.
    `prevalence` (retrieval.evidence.ranking.adverse_prevalence) orders adverse reactions as answers do."""
    b = _Builder(card, prevalence)
    kind = card.entity.type.value
    missing = MISSING_DRUG if kind == NodeType.DRUG.value else MISSING_OTHER
    summary = [b.summary_row(*spec) for spec in SUMMARY.get(kind, DEFAULT_SUMMARY)]
    summary = [r for r in summary if r.values or r.label in FIXED_SUMMARY]
    sections: list[CardSection] = []
    for spec in SECTIONS.get(kind, ()):
        sec = b.section(spec)
        has = bool(sec.total or sec.texts or any(p.values for p in sec.parts))
        if not has:
            sec.empty_text = missing
        if has or spec.fixed:
            sections.append(sec)
    sections += b.remaining_sections()
    more = [SummaryRow(label=k.removesuffix(TRUNCATED_SUFFIX), values=b.prop_values([k]))
            for k in card.entity.properties if k not in b.used_props]
    raw = card_groups(card)
    label = type_label(kind)
    return EntityCardOut(entity=raw.entity, groups=raw.groups, type_label=label, heading=f"{label}信息",
                         source_labels=[source_label(s) for s in card.entity.sources], summary=summary,
                         sections=sections, more=[m for m in more if m.values])
