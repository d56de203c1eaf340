"""Turning graph facts and entity properties into numbered, citable Evidence data (retrieval.rendering writes its text)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from kg.schema import Direction, Entity, Fact, NodeType, RelType
from kg.topics import Topic, topic_keys
from kg.vocabulary import TRUNCATED_LABEL, TRUNCATED_SUFFIX, field_code, is_truncated_key, rel_heading
from retrieval.evidence.noise import DrugContext
from retrieval.evidence.ranking import RankedList, family_of, rank
from retrieval.rendering import NoteKind, list_names, prose_sentences
from retrieval.types import Evidence, EvidenceItem, EvidenceNote

MAX_PROP_CHARS = 600
#: Items of a ranked list carried as typed `EvidenceItem`s (answers show far fewer; a disease's drug
#: list holds up to ~1,300, which would weigh on every response)
MAX_TYPED = 60


def facts_to_evidence(entity: Entity, facts: Iterable[Fact], max_targets: int | None = None, *,
                      prose: str = "", described: Callable[[str], bool] | None = None,
                      label: str = "", prevalence: Mapping[str, int] | None = None,
                      context: DrugContext | None = None,
                      fold: Callable[[Evidence, RankedList], Evidence] | None = None) -> list[Evidence]:
    """One evidence item per fact family (a relationship, both of its readings, every dataset):
    the full list ranked by evidence strength (retrieval.evidence.ranking), citing every dataset that
    states it. Flagged facts are not items; its notes say how many were held back. `Evidence.items`
    types the first MAX_TYPED items (and the held-back ones); `fold` may rewrite an item from its whole
    ranked list (retrieval.evidence.salience: a disease's drugs by class)."""
    groups: dict[tuple[str, str], list[Fact]] = {}
    for f in facts:
        pred = f.predicate if f.relation == RelType.RELATED_TO else ""
        groups.setdefault((family_of(f), pred), []).append(f)
    out: list[Evidence] = []
    for (family, pred), items in groups.items():
        ranked = rank(items, prose=prose, family=family, described=described, prevalence=prevalence,
                      context=context)
        names = ranked.names[:max_targets] if max_targets else ranked.names
        lead = next((f for f in items if f.direction == Direction.OUT), items[0])
        datasets = sorted({f.dataset for f in items if not f.flag}) or sorted({f.dataset for f in items})
        notes: list[EvidenceNote] = []
        low = ranked.flagged - len(ranked.held)
        if low:
            notes.append(EvidenceNote(kind=NoteKind.LOW_CONFIDENCE, count=low))
        if ranked.held:  # an indication the drug's own 禁忌 names is never a plain indication
            notes.append(EvidenceNote(kind=NoteKind.CONTRAINDICATED_SELF, names=[i.name for i in ranked.held]))
        if not names:
            continue  # every fact of the family is flagged: nothing to answer with
        out.append(Evidence(
            index=0, entity_id=entity.id, entity_name=entity.name, entity_type=entity.type.value,
            field=field_code(lead.relation, lead.direction),
            heading=rel_heading(lead.relation, lead.direction, label or entity.name, pred),
            relation=lead.relation, direction=lead.direction, names=list_names(names),
            total=len(ranked.names) if len(names) < len(ranked.names) else 0, notes=notes,
            datasets=datasets,
            target_id=ranked.items[0].target_id if len(ranked.items) == 1 else None,
            target_name="、".join(names), target_type=ranked.items[0].target_type.value, origin="kg",
            # for a ranked list: how many leading items are corroborated (answers show those first)
            score=float(ranked.strong), reliable=ranked.reliable,
            # built per request and trusted (no validation: a disease's list holds hundreds of items)
            items=[EvidenceItem.model_construct(
                name=i.name, entity_id=i.target_id, type=i.target_type.value, datasets=sorted(i.datasets),
                sources=sorted(f"{d}:{p}" for d, p in i.sources), support=i.supports, score=round(i.score, 3),
                flag=i.flag, reason=i.reason) for i in [*ranked.items[:MAX_TYPED], *ranked.held]],
        ))
        if fold is not None:
            out[-1] = fold(out[-1], ranked)
    return out


def prose_of(entities: Iterable[Entity], keys: Iterable[str]) -> str:
    """The entities' long texts under `keys` (exact or prefixed keys), joined: what ranking checks
    list items against."""
    keys = tuple(keys)
    parts: list[str] = []
    for e in entities:
        for prop, value in e.properties.items():
            if any(prop == k or prop.startswith(k) for k in keys):
                parts.append(value if isinstance(value, str) else "、".join(value))
    return "\n".join(parts)


def property_evidence(entity: Entity, keys: Iterable[str]) -> list[Evidence]:
    """Evidence for the entity's long-text properties named by `keys` (first match per key)."""
    out: list[Evidence] = []
    seen: set[str] = set()
    for key in keys:
        for prop, value in entity.properties.items():
            if prop in seen or not (prop == key or (prop.startswith(key) and not is_truncated_key(prop))):
                continue
            text = value if isinstance(value, str) else "、".join(v for v in value if v)
            text = text.strip()
            if not text:
                continue
            seen.add(prop)
            if len(text) > MAX_PROP_CHARS:
                text = text[:MAX_PROP_CHARS].rstrip() + "……"
            label = prop.replace(TRUNCATED_SUFFIX, TRUNCATED_LABEL)
            datasets = property_datasets(entity, prop)
            out.append(Evidence(
                index=0, entity_id=entity.id, entity_name=entity.name, entity_type=entity.type.value,
                field=prop, heading=f"{entity.name}的{label}", sentences=prose_sentences(text, datasets), datasets=datasets,
                origin="kg",
            ))
    return out


#: Which datasets write which property keys (see kg/sources/*): narrows a merged node's sources.
_XYWY = ("xywy",)
PROPERTY_SOURCES: dict[str, tuple[str, ...]] = {
    **{k: _XYWY for k in ("简介", "护理", "症状详情", "患病比例", "宜食", "忌食", "推荐食谱")},
    **{k: ("cmekg", "xywy", "39health") for k in ("病因", "预防")},
    **{k: ("xywy", "39health") for k in ("医保", "易感人群", "传播途径", "治疗方式", "治疗周期",
                                         "治愈率", "治疗费用")},
    **{k: ("caregpt",) for k in ("适应证", "禁忌证", "药物相互作用", "剂型")},
    **{k: ("cmekg", "caregpt") for k in ("用法用量", "注意事项", "不良反应", "禁忌", "药品类型")},
}


def property_datasets(entity: Entity, prop: str) -> list[str]:
    """The dataset(s) a property came from: the provenance recorded at ingest; for graphs built
    before it was recorded, the entity's sources narrowed by which datasets write that key (a
    merged disease's 简介 is xywy's, its ICD10 CMeKG's)."""
    recorded = entity.datasets_of(prop)
    if recorded:
        return recorded
    writers = PROPERTY_SOURCES.get(prop.removesuffix(TRUNCATED_SUFFIX))
    if is_truncated_key(prop):
        writers = ("xywy", "39health")
    if writers is None:
        writers = ("cmekg", "jsonl")
    return [d for d in entity.sources if d in writers] or list(entity.sources)


def property_source(entity: Entity, prop: str) -> str:
    """`property_datasets` as the comma-joined text an Evidence.source carries."""
    return ",".join(property_datasets(entity, prop))


OVERVIEW_PROPS = topic_keys(Topic.OVERVIEW, Topic.DRUG_TYPE, Topic.CLASS_TEXT, Topic.INSERT_INDICATION)
OVERVIEW_RELS: dict[NodeType, tuple[RelType, ...]] = {
    NodeType.DRUG: (RelType.IN_CATEGORY, RelType.INDICATED_FOR, RelType.HAS_INGREDIENT),
    NodeType.DISEASE: (RelType.HAS_SYMPTOM, RelType.IN_DEPARTMENT, RelType.TREATED_BY, RelType.NEEDS_CHECK),
    NodeType.SYMPTOM: (),
}
