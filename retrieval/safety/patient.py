"""Evidence for the patient asked about (retrieval.safety.population's verdicts turned into citable items).

Two question shapes:

- a treatment question with a population (孕妇咳嗽吃什么药): the disease's ranked drug list is cut to
  the candidates whose own labels were read, 禁用 ones are removed from it and named in an item of their
  own ("说明书标明孕妇禁用：…，均未列入可选药品"), 慎用 ones are marked in the list, and when no candidate's
  label speaks of the population an item says the graph cannot confirm safety (未收录);
- "can a patient with X take Y" (孕妇能吃布洛芬吗; retrieval.safety.can_take): a first item gives the verdict
  (不建议 / 慎用 / 说明书写明可以使用 / 未收录) with the label's own sentence.

Every generator reads these items: the filtering happens here, before any prompt is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from kg.normalize import core_name
from kg.schema import Direction, Entity, Fact, NodeType, RelType
from kg.stores.base import EdgeRow
from retrieval.evidence.drug_grouping import generic_of, has_form
from retrieval.intents import Trait, intents_with
from retrieval.rendering import prose_sentences
from retrieval.safety.can_take import SourceOf, can_take
from retrieval.safety.population import (
    POPULATIONS,
    SAFETY_TEXTS,
    ClassReader,
    ContraReader,
    FilteredCandidates,
    Population,
    SafetyVerdict,
    Verdict,
    detect,
    filter_candidates,
)
from retrieval.safety.population_classes import DATASET as CLASS_DATASET
from retrieval.safety.population_classes import FIELD as CLASS_FIELD
from retrieval.safety.population_classes import rule_parts
from retrieval.types import Evidence, LinkedEntity

#: Candidates of a disease's drug list whose labels are read (the list shown is cut to these).
MAX_CHECKED = 30
#: Drug-list fields of a disease or symptom (both readings of "drugs for X").
DRUG_LIST_FIELDS = ("TREATED_BY", "INDICATED_FOR<-")
#: A disease's drug names a source cut off: no label to read, so not offered to a population.
UNCHECKABLE_FIELDS = ("常用药物_截断",)
POPULATION_FIELD = "人群用药"
CAUTION_MARK = "（慎用）"
#: Excluded names an answer sentence shows (the rest are counted): each stays within a few characters
#: of the word 禁用, so no reader takes one of them for a choice.
MAX_NAMED_EXCLUDED = 3
_EXCLUDED_SPAN = 13

EntityReader = Callable[[Sequence[str]], list[Entity]]
#: "孕妇能吃布洛芬吗": a drug question that asks whether someone may take it.
CAN_TAKE_CUE = re.compile(r"能|可以|可不可以|行不行|吗|禁忌|禁用|慎用|注意")
#: Intents of a drug question that a population turns into "may they take it" (a dose question for a
#: child is answered by retrieval.evidence.dose instead).
CAN_TAKE_INTENTS = intents_with(Trait.CAN_TAKE)


@dataclass(frozen=True)
class PatientReads:
    """What this module reads from the graph, as the retriever provides it (cached reads)."""

    drug_ids: Callable[[Entity], dict[str, str]]  # a disease's drug list: name → id
    entities: EntityReader
    related: Callable[[Entity], list[Entity]]  # same-ingredient entries of a drug
    source: SourceOf
    contra: ContraReader | None = None  # a drug's CONTRAINDICATED facts as one text
    same_ingredient: Callable[[Entity], list[str]] | None = None  # ids of other dosage forms (no read)
    by_class: ClassReader | None = None  # class-rule verdicts (retrieval.safety.population_classes)


class FactSource(Protocol):
    """What these readers need of retrieval.evidence.graph_reader.GraphReader (cached reads)."""

    def entity(self, entity_id: str) -> Entity | None: ...
    def facts(self, entity_id: str, rels: Sequence[RelType], direction: Direction) -> list[Fact]: ...


def drug_ids(graph: FactSource, entity: Entity) -> dict[str, str]:
    """A disease's drugs (both readings of "drugs for X") by name: the candidates to filter."""
    facts = [*graph.facts(entity.id, [RelType.TREATED_BY], Direction.OUT),
             *graph.facts(entity.id, [RelType.INDICATED_FOR], Direction.IN)]
    return {f.target_name: f.target_id for f in facts if f.target_type == NodeType.DRUG}


@dataclass(frozen=True)
class ContraIndex:
    """Every drug's usable CONTRAINDICATED facts as one 禁忌 text: one scan of the edge type when the
    first population question comes (a filtered list reads 30 drugs; one query each cost ~100 ms)."""

    texts: dict[str, tuple[str, str]]

    @classmethod
    def build(cls, rows: Iterable[EdgeRow], name_of: Callable[[str], str]) -> ContraIndex:
        names: dict[str, list[str]] = {}
        datasets: dict[str, set[str]] = {}
        for r in rows:
            name = name_of(r.target_id) if not r.flag else ""
            if name and name not in names.setdefault(r.source_id, []):
                names[r.source_id].append(name)
                datasets.setdefault(r.source_id, set()).add(r.dataset)
        return cls({k: ("。".join(v), ",".join(sorted(datasets[k]))) for k, v in names.items() if v})

    def __call__(self, drug: Entity) -> tuple[str, str]:
        return self.texts.get(drug.id, ("", ""))


def contra_text(graph: FactSource, drug: Entity) -> tuple[str, str]:
    """One drug's usable CONTRAINDICATED facts as one 禁忌 text, with their datasets."""
    facts = [f for f in graph.facts(drug.id, [RelType.CONTRAINDICATED], Direction.OUT) if not f.flag]
    return "。".join(f.target_name for f in facts), ",".join(sorted({f.dataset for f in facts}))


def aliases(graph: FactSource, entity_id: str) -> list[str]:
    """A condition's other names (39health's aliases: 前列腺肥大 for 前列腺增生), as labels may use them."""
    entity = graph.entity(entity_id)
    return [a for a in entity.aliases if 2 <= len(a) <= 8 and not a.isascii()] if entity else []


def condition_over_population(found: Sequence[LinkedEntity], main: LinkedEntity | None,
                              threshold: float) -> LinkedEntity | None:
    """"肾功能不全的糖尿病人吃什么药" is about 糖尿病 for a patient with 肾功能不全: when the main mention is
    only a population word and another disease or symptom is named, that one is the topic."""
    clinical = (NodeType.DISEASE.value, NodeType.SYMPTOM.value)
    if main is None or main.type not in clinical or main.method == "history" or \
            not any(p.cue.fullmatch(main.mention) for p in POPULATIONS):
        return main
    other = next((e for e in found if e.id != main.id and e.type in clinical and e.score >= threshold and
                  e.method != "history" and not any(p.cue.fullmatch(e.mention) for p in POPULATIONS)), None)
    return other or main


def for_patient(question: str, mention: str, entity: Entity, intent: str, items: list[Evidence],
                reads: PatientReads) -> list[Evidence]:
    """The evidence of a question that names a population: filtered drug lists for a disease, a
    verdict first for a drug. Questions without a population get `items` back unchanged."""
    pops = detect(question, [mention, entity.name, core_name(entity.name)] if entity.type == NodeType.DRUG else ())
    if not pops:
        return items
    if entity.type in (NodeType.DISEASE, NodeType.SYMPTOM):
        return population_lists(items, entity, pops, reads.drug_ids(entity), reads.entities, reads.source,
                                reads.contra, reads.same_ingredient, reads.by_class)
    if entity.type in (NodeType.DRUG, NodeType.INGREDIENT) and intent in CAN_TAKE_INTENTS and \
            CAN_TAKE_CUE.search(question):
        related = reads.related(entity)
        if not entity.described and not related:
            return items  # a name with no label of its own or of its ingredient (降压药): no verdict to give
        return [*can_take(entity, related, pops, reads.source, contra=reads.contra, by_class=reads.by_class), *items]
    return items


def _sources(verdicts: Sequence[SafetyVerdict]) -> list[str]:
    out: list[str] = []
    for v in verdicts:
        for s in v.source.split(","):
            if s and s not in out:
                out.append(s)
    return out


def _excluded_text(label: str, excluded: Sequence[SafetyVerdict]) -> str:
    names: list[str] = []
    span = 3  # "禁用：" before the first name
    unique = list(dict.fromkeys(v.drug_name for v in excluded))  # both readings of a list name a drug twice
    for name in unique[:MAX_NAMED_EXCLUDED]:
        if names and span + len(name) > _EXCLUDED_SPAN + 4:  # this name would end too far from 禁用
            break
        names.append(name)
        span += len(name) + 1
    more = f"等{len(unique)}种" if len(unique) > len(names) else ""
    return f"说明书标明{label}禁用：{'、'.join(names)}{more}，均未列入可选药品"


def population_lists(items: list[Evidence], entity: Entity, pops: Sequence[Population],
                     names_to_ids: dict[str, str], read: EntityReader, source: SourceOf,
                     contra: ContraReader | None = None,
                     same: Callable[[Entity], list[str]] | None = None,
                     by_class: ClassReader | None = None) -> list[Evidence]:
    """The disease's drug lists filtered for the populations asked about, plus what was left out."""
    if not pops or entity.type not in (NodeType.DISEASE, NodeType.SYMPTOM):
        return items
    out: list[Evidence] = []
    merged = [FilteredCandidates(population=p) for p in pops]
    filtered = False
    for ev in items:
        if ev.entity_id == entity.id and ev.field in UNCHECKABLE_FIELDS:
            continue  # names a source cut off ("氯沙坦钾氢氯噻...") cannot be checked: never offered
        if ev.entity_id != entity.id or ev.field not in DRUG_LIST_FIELDS or not ev.target_name:
            out.append(ev)
            continue
        names = [n for n in ev.names if n][:MAX_CHECKED]
        by_id = {names_to_ids[n]: n for n in names if n in names_to_ids}
        drugs = {e.id: e for e in read(list(by_id))}
        candidates = [drugs[i] for i in by_id if i in drugs]
        judges = _judges(candidates, same, read)
        names = {j.id: d for j, d in zip(judges, candidates, strict=True) if j.id != d.id}
        keep = {e.name for e in candidates}
        results = [_renamed(filter_candidates(judges, pop, source, contra, by_class), names) for pop in pops]
        filtered = True
        for into, r in zip(merged, results, strict=True):
            _merge(into, r)
        shown = _combine(results, keep)
        labels = "、".join(p.label for p in pops)
        head = f"{ev.heading}（{labels}，已排除说明书禁用者）"
        if not shown:
            continue
        listed = [f"{n}{CAUTION_MARK}" if mark else n for n, mark in shown]
        out.append(ev.model_copy(update={
            "heading": head, "names": listed, "groups": [], "total": 0, "notes": [], "sentences": [],
            "target_name": "、".join(listed), "target_id": None,
            # the filtered, reordered list no longer has the leading corroborated run those counts describe:
            # answers show its top items and the count, and the population note follows at once
            "score": 0.0, "reliable": 0}))
    if not filtered:
        return out
    # right after the (last) filtered list: the answer first, then what was left out and why
    at = max(i for i, ev in enumerate(out) if ev.entity_id == entity.id and ev.field in DRUG_LIST_FIELDS) + 1 \
        if any(ev.entity_id == entity.id and ev.field in DRUG_LIST_FIELDS for ev in out) else 0
    return [*out[:at], *_notes(merged, entity), *out[at:]]


#: Drugs of one disease judged product by product before they are grouped (more are left out unread:
#: a drug whose label was not read is never offered to a population)
MAX_FILTERED = 400


def filter_drug_facts(facts: Sequence[Fact], entity: Entity, pops: Sequence[Population], read: EntityReader,
                      source: SourceOf, contra: ContraReader | None = None,
                      same: Callable[[Entity], list[str]] | None = None,
                      by_class: ClassReader | None = None) -> tuple[list[Fact], list[Evidence], dict[str, float]]:
    """A disease's drug facts for the populations asked about, before any grouping by generic or class
    (retrieval.evidence.salience): each product is judged by its own label (or a same-ingredient entry's), 禁用
    ones and ones past MAX_FILTERED are dropped, and the notes say what was left out and what the
    graph cannot confirm. Non-drug facts pass unchanged. The third part: ids of the kept drugs every
    population asked about may use by its label (可用) or a class rule (first choice: weight 2, else 1) —
    the answer's lead (the weakest weight over the populations asked about)."""
    def is_drug(f: Fact) -> bool:
        return f.target_type == NodeType.DRUG and (
            (f.relation == RelType.TREATED_BY and f.direction == Direction.OUT)
            or (f.relation == RelType.INDICATED_FOR and f.direction == Direction.IN))

    ids = list(dict.fromkeys(f.target_id for f in facts if is_drug(f)))
    if not pops or not ids:
        return list(facts), [], {}
    found = {e.id: e for e in read(ids[:MAX_FILTERED])}
    candidates = [found[i] for i in ids[:MAX_FILTERED] if i in found]
    judges = _judges(candidates, same, read)
    names = {j.id: d for j, d in zip(judges, candidates, strict=True) if j.id != d.id}
    merged = [_renamed(filter_candidates(judges, pop, source, contra, by_class), names) for pop in pops]
    allowed = {v.drug_id for v in merged[0].kept} if merged else set()
    for r in merged[1:]:
        allowed &= {v.drug_id for v in r.kept}
    # one product's label forbidding it forbids the ingredient: the list is grouped by generic later,
    # so another product of it (a label that says nothing) must not bring the generic back — unless
    # another product's own label allows the population (对乙酰氨基酚 0.5 g tablets 儿童禁用, its drops
    # give a children's dose): that product stands for the ingredient, the banned one stays out
    allowed_by_label = [{generic_of(v.drug_name) for v in r.kept if v.verdict == Verdict.ALLOWED
                         and v.field != CLASS_FIELD} for r in merged]
    banned = {generic_of(v.drug_name) for r in merged for v in r.excluded}
    banned -= set.intersection(*allowed_by_label) if allowed_by_label else set()
    kept = [f for f in facts if not is_drug(f) or (f.target_id in allowed and generic_of(f.target_name) not in banned)]
    notes = _notes(merged, entity, cautions=True)  # grouped lists carry no marks: the notes name them
    present = {f.target_id for f in kept}
    lead = {v.drug_id: v.weight for v in merged[0].kept if v.weight and v.drug_id in present}
    for r in merged[1:]:
        more = {v.drug_id: v.weight for v in r.kept if v.weight}
        lead = {i: min(w, more[i]) for i, w in lead.items() if i in more}
    return kept, notes, lead


def _merge(into: FilteredCandidates, more: FilteredCandidates) -> None:
    """Both readings of a disease's drug list as one set of verdicts (a drug counted once)."""
    seen = {v.drug_id for v in (*into.kept, *into.excluded)}
    into.kept += [v for v in more.kept if v.drug_id not in seen]
    into.cautioned += [v for v in more.cautioned if v.drug_id not in seen]
    into.excluded += [v for v in more.excluded if v.drug_id not in seen]
    into.checked += more.checked


def _judges(drugs: Sequence[Entity], same: Callable[[Entity], list[str]] | None,
            read: EntityReader) -> list[Entity]:
    """The entry whose label decides for each list item: the item itself, or — when it has no safety
    text at all (a mention-only 氯沙坦) — the first same-ingredient entry that has one (one batched read)."""
    def has_text(e: Entity) -> bool:
        return any(e.properties.get(p) for p, _ in SAFETY_TEXTS)

    bare = {d.id: same(d) for d in drugs if same is not None and not has_text(d)}
    others = {e.id: e for e in read([i for ids in bare.values() for i in ids])}
    return [next((others[i] for i in bare.get(d.id, []) if i in others and has_text(others[i])), d) for d in drugs]


def _renamed(result: FilteredCandidates, names: dict[str, Entity]) -> FilteredCandidates:
    """Verdicts read from a same-ingredient entry, reported under the listed item's name."""
    def back(v: SafetyVerdict) -> SafetyVerdict:
        item = names.get(v.drug_id)
        return v if item is None else replace(v, drug_id=item.id, drug_name=item.name)
    return FilteredCandidates(result.population, [back(v) for v in result.kept], [back(v) for v in result.cautioned],
                              [back(v) for v in result.excluded], result.checked)


def _combine(results: list[FilteredCandidates], keep: set[str]) -> list[tuple[str, bool]]:
    """Candidates no population excludes, those whose label allows the population first, each with
    its 慎用 mark."""
    excluded = {v.drug_name for r in results for v in r.excluded}
    cautioned = {v.drug_name for r in results for v in r.cautioned}
    allowed = {v.drug_name for r in results for v in r.confirmed if v.verdict == Verdict.ALLOWED} - cautioned
    order = [v.drug_name for v in results[0].kept] if results else []
    names = [n for n in order if n in keep and n not in excluded]
    # a label that explicitly allows the population (a children's dose) leads; the rest keep their rank
    names = [n for n in names if n in allowed] + [n for n in names if n not in allowed]
    return [(n, n in cautioned) for n in names]


def _notes(results: list[FilteredCandidates], entity: Entity, cautions: bool = False) -> list[Evidence]:
    """One short item per population: what was left out and what could not be confirmed (with the
    慎用 drugs named when `cautions`), and one more citing the class rules when any decided."""
    out: list[Evidence] = []
    for r in results:
        label = r.population.label
        parts: list[str] = []
        by_label = [v for v in r.excluded if v.field != CLASS_FIELD]
        by_rule = [v for v in r.excluded if v.field == CLASS_FIELD]
        if by_label:
            parts.append(_excluded_text(label, by_label))
        if not r.confirmed:
            parts.append(f"所列药品的说明书均未提及{label}用药（未收录），知识库无法确认其对{label}是否安全，请咨询医生或药师"
                         if r.kept else f"知识库无法确认{label}可以使用的药品，请咨询医生或药师")
        elif len(r.confirmed) < len(r.kept):
            parts.append(f"未标注者说明书未提及{label}用药（未收录），不能视为安全")
        careful = [v for v in r.cautioned if v.field != CLASS_FIELD]
        if cautions and careful:
            parts.append(f"说明书标明{label}慎用：{'、'.join(list(dict.fromkeys(v.drug_name for v in careful))[:MAX_NAMED_EXCLUDED])}")
        cited = [v for v in (*r.excluded, *r.cautioned) if v.field != CLASS_FIELD]
        ruled = [_rule_text(label, by_rule)] if by_rule else []
        careful = [v for v in r.cautioned if v.field == CLASS_FIELD] if cautions else []
        if careful:
            names = list(dict.fromkeys(v.drug_name for v in _generics_first(careful)))[:MAX_NAMED_EXCLUDED]
            ruled.append(f"按药物类别慎用：{'、'.join(names)}")
        if ruled:  # its own item: the class-rule dataset is cited, not the products' labels
            out.append(Evidence(index=0, entity_id=entity.id, entity_name=entity.name,
                                entity_type=entity.type.value, field=f"{POPULATION_FIELD}·{r.population.key}·{CLASS_FIELD}",
                                heading=f"{label}用药", sentences=prose_sentences("；".join(ruled), [CLASS_DATASET]),
                                datasets=[CLASS_DATASET], origin="kg"))
        datasets = _sources(cited) or list(entity.sources)
        out.append(Evidence(index=0, entity_id=entity.id, entity_name=entity.name, entity_type=entity.type.value,
                            field=f"{POPULATION_FIELD}·{r.population.key}", heading=f"{label}用药",
                            sentences=prose_sentences("；".join(parts), datasets), datasets=datasets, origin="kg"))
    return out


def _generics_first(verdicts: Sequence[SafetyVerdict]) -> list[SafetyVerdict]:
    """Verdicts under their generic names (盐酸贝那普利片 → 贝那普利), products before brand-only names
    (一平苏), list order kept otherwise."""
    named = [replace(v, drug_name=generic_of(v.drug_name) or v.drug_name) for v in verdicts]
    return [v for v, d in zip(named, verdicts, strict=True) if has_form(d.drug_name)] + \
        [v for v, d in zip(named, verdicts, strict=True) if not has_form(d.drug_name)]


def _rule_text(label: str, excluded: Sequence[SafetyVerdict]) -> str:
    """"按药物类别禁用：依那普利、氯沙坦等9种（血管紧张素转换酶抑制剂：妊娠中晚期…），均未列入可选药品":
    the first class's reason; the others are counted."""
    ordered = _generics_first(excluded)  # the reason given is the first name's class's
    names = _excluded_text(label, ordered).removeprefix(f"说明书标明{label}禁用：").removesuffix("，均未列入可选药品")
    classes = list(dict.fromkeys(rule_parts(v)[0] for v in ordered))
    why = rule_parts(ordered[0])[1]
    more = f"等{len(classes)}类" if len(classes) > 1 else ""
    return f"按药物类别禁用：{names}（{classes[0]}{more}禁用：{why}），均未列入可选药品"
