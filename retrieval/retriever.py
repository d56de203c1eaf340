"""The retrieval pipeline: question (+ history) → linked entity → intent → ranked Evidence.

KG facts for the linked entity and intent come first; dense passages (FAISS) and lexical
matches (jieba over the entity's own texts) are merged by reciprocal-rank fusion after them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from kg.normalize import core_name, strip_format
from kg.schema import Direction, Entity, Fact, NodeType, RelType
from kg.stores.base import GraphStore
from kg.topics import Topic, topic_keys
from retrieval.evidence import (
    OVERVIEW_PROPS,
    OVERVIEW_RELS,
    facts_to_evidence,
    property_evidence,
    property_source,
    prose_of,
)
from retrieval.evidence.candidates import DRUG_EDGES, DiseaseNames, Pool, gather
from retrieval.evidence.dose import for_dose
from retrieval.evidence.drug_grouping import DrugGrouping
from retrieval.evidence.fusion import rrf_merge
from retrieval.evidence.graph_reader import GraphReader
from retrieval.evidence.lexical import LexicalMatcher
from retrieval.evidence.noise import drug_context
from retrieval.evidence.ranking import adverse_prevalence
from retrieval.evidence.salience import fold_drugs, western_count
from retrieval.intents import BY_NAME, Fetch, IntentClassifier, Trait, has_trait
from retrieval.linking import (  # noqa: F401 - main_entity, MAX_HISTORY_TURNS: re-exported, the retriever API
    LINK_THRESHOLD,
    MAX_HISTORY_TURNS,
    EntityLinker,
    Resolution,
    Resolver,
    main_entity,
    off_topic,
)
from retrieval.pairs import (
    ClassIndex,
)
from retrieval.pairs.drug_classes import DrugClassIndex, class_question
from retrieval.pairs.pair_questions import PairQuestions
from retrieval.rendering import prose_sentences, relabel
from retrieval.safety.patient import (
    ContraIndex,
    PatientReads,
    condition_over_population,
    drug_ids,
    filter_drug_facts,
    for_patient,
)
from retrieval.safety.population import detect as detect_population
from retrieval.safety.population_classes import class_reader
from retrieval.safety.population_pool import drug_facts as drug_facts_of
from retrieval.safety.population_pool import population_pool
from retrieval.types import Evidence, Intent, LinkedEntity, Qualifiers, RetrievalResult

if TYPE_CHECKING:
    from retrieval.embedders.base import Embedder
    from retrieval.index import PassageIndex

#: Passages (dense/lexical) that may follow the KG facts of a specific question.
PASSAGES_AFTER_FACTS = 3
#: Related entities (same ingredient, handbook entry) consulted for a drug.
MAX_RELATED = 3
#: Same-ingredient entries whose labels a "can X take Y" question may read (most have no safety text).
MAX_SAFETY_RELATED = 8
#: How evidence of another entry of the same ingredient is labelled.
SAME_INGREDIENT_LABEL = "（同成分）"


#: Questions about a population, an organ, alcohol or diet: a drug's 注意事项 / 禁忌证 hold the answer.
FOCUS_CUE = re.compile(r"孕|妊娠|哺乳|儿童|小儿|孩子|宝宝|老人|老年|肝|肾|酒|忌口|饮食|驾驶|开车")
FOCUS_PROPS = topic_keys(Topic.CAUTIONS, Topic.CONTRAINDICATION)


@dataclass
class RetrieverConfig:
    top_k: int = 12
    max_kg_items: int = 16
    dense_k: int = 8


class Retriever(PairQuestions):
    """Thread-safe after `warm_up()`; holds the linker, intent classifier and optional index."""

    def __init__(self, store: GraphStore, *, embedder: Embedder | None = None, index: PassageIndex | None = None,
                 config: RetrieverConfig | None = None, cache_dir: Path | None = None) -> None:
        self.store = store
        self.graph = GraphReader(store)
        self.embedder = embedder
        self.index = index
        self.config = config or RetrieverConfig()
        self.intents = IntentClassifier(embedder)
        self.resolver = Resolver(lambda: self.linker, self.intents)
        self.lexical = LexicalMatcher(cache_dir)
        self._linker: EntityLinker | None = None
        self._snapshot = ""
        self._lock = threading.Lock()
        self._classes: ClassIndex | None = None
        self._drug_classes: DrugClassIndex | None = None
        self._prevalence: dict[str, int] | None = None
        self._class_table = DrugGrouping()
        self._disease_names = DiseaseNames()
        self._contra: ContraIndex | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def warm_up(self) -> None:
        with self._lock:
            if self._linker is not None:
                return
            names = self.store.name_index()
            self._linker = EntityLinker(names, self.store.described_ids())
            self._linker.warm_up()
            self._classes = ClassIndex.build(names, self._linker)
            self._drug_classes = DrugClassIndex(self.store)
            self._class_table = DrugGrouping.build(self.store, names)
            self._disease_names = DiseaseNames(names)
            self._snapshot = self.store.snapshot()
            self.lexical.add_words((name for _, _, name, _ in names), key=self._snapshot)
        self.lexical.warm_up()

    @property
    def prevalence(self) -> dict[str, int]:
        """The tie-breaker of adverse-reaction lists (retrieval.evidence.ranking.adverse_prevalence), read
        once; `QAService.warm_up` takes it before the first request."""
        if self._prevalence is None:
            with self._lock:
                if self._prevalence is None:
                    self._prevalence = adverse_prevalence(self.store)
        return self._prevalence

    @property
    def linker(self) -> EntityLinker:
        if self._linker is None:
            self.warm_up()
        assert self._linker is not None
        return self._linker

    @property
    def snapshot(self) -> str:
        return self._snapshot

    # -- linking (retrieval.linking) -----------------------------------------------------------
    def link(self, question: str, history: Sequence[str] = ()) -> tuple[list[LinkedEntity], LinkedEntity | None]:
        """All mentions in the question, and the main entity (from history for follow-ups)."""
        res = self.resolve(question, history)
        return res.entities, res.main

    def resolve(self, question: str, history: Sequence[str] = ()) -> Resolution:
        """What the question is about, or why it cannot be answered (retrieval.linking.Resolver)."""
        return self.resolver.resolve(question, history)

    # -- retrieval -------------------------------------------------------------------------
    def retrieve(self, question: str, history: Sequence[str] = (), top_k: int | None = None) -> RetrievalResult:
        # invisible format characters (a zero-width space pasted from a web page) never split a name:
        # mention offsets refer to the question without them
        question, history = strip_format(question), [strip_format(t) for t in history]
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        res = self.resolve(question, history)
        found, main = res.entities, res.main
        picked = condition_over_population(found, main, LINK_THRESHOLD)  # 肾功能不全的糖尿病人: 糖尿病
        if picked is not main and picked is not None:
            found, main = [picked, *[e for e in found if e.id != picked.id]], picked
        timings["link_ms"] = _ms(t0)
        listed = self._class_members(question, res)
        if listed is not None:
            listed.timings_ms.update(timings, retrieve_ms=_ms(t0))
            return listed
        # a near miss (a name the graph does not have) is never answered through a pair or a class
        paired = None if res.near_misses else self._two_entities(question, found, timings)
        if paired is not None:
            paired.timings_ms["retrieve_ms"] = _ms(t0)
            paired.qualifiers = res.qualifiers
            return paired
        if main is None:
            intent = self.intents.classify(question, None)
            return RetrievalResult(question=question, resolved_question=question, entities=found,
                                   near_misses=res.near_misses, refusal=res.refusal, qualifiers=res.qualifiers,
                                   intent=intent, evidence=[], snapshot=self._snapshot, timings_ms=timings)
        t1 = time.perf_counter()
        mention = main.mention if main.method != "history" else ""
        intent = self.resolver.intent(question, main, res)
        timings["intent_ms"] = _ms(t1)
        resolved = question if main.method != "history" else f"{main.name}：{question}"
        if off_topic(question, main, intent):  # "太阳系有几颗行星" mentions 太阳: not a question about it
            return RetrievalResult(question=question, resolved_question=question, entities=found,
                                   refusal="not_medical", qualifiers=res.qualifiers, intent=intent, evidence=[], snapshot=self._snapshot,
                                   timings_ms=timings)

        t2 = time.perf_counter()
        entity = self.graph.entity(main.id)
        kg_items = self._kg_evidence(entity, intent, question, res.qualifiers) if entity else []
        if main.method == "components":  # one block of evidence per component, in the written order
            for part in self.graph.entities([e.id for e in found if e.method == "components" and e.id != main.id]):
                kg_items += self._kg_evidence(part, intent, question)
        if entity is not None:  # the patient asked about: population-filtered lists, a verdict first
            kg_items = for_patient(question, mention, entity, intent.name, kg_items, self._patient_reads())
            if intent.name == "usage":  # the asked sentence of 用法用量 first, never a 规格 in its place
                kg_items = for_dose(question, entity, intent.name, kg_items, self._related(entity))
        timings["kg_ms"] = _ms(t2)

        t3 = time.perf_counter()
        k = top_k or self.config.top_k
        ranked_lists: list[list[Evidence]] = []
        if entity is not None:
            ranked_lists.append(self.lexical.match(resolved, entity, exclude=main.mention))
        if self.index is not None:
            ranked_lists.append(self._dense(resolved, main))
        extra = rrf_merge(ranked_lists, exclude={(e.entity_id, e.field, e.text) for e in kg_items})
        if not kg_items and intent.name != "overview":
            extra = []  # passages alone never answer a specific question the graph cannot
        timings["passages_ms"] = _ms(t3)

        evidence = kg_items[: self.config.max_kg_items]
        room = max(0, k - len(evidence)) if intent.name == "overview" or not evidence else max(0, min(PASSAGES_AFTER_FACTS, k - len(evidence)))
        evidence += extra[:room]
        for i, ev in enumerate(evidence, start=1):
            ev.index = i
        timings["retrieve_ms"] = _ms(t0)
        return RetrievalResult(question=question, resolved_question=resolved, entities=found, intent=intent,
                               qualifiers=res.qualifiers, evidence=evidence, snapshot=self._snapshot,
                               timings_ms=timings)

    def _kg_evidence(self, entity: Entity, intent: Intent, question: str = "",
                     qualifiers: Qualifiers | None = None) -> list[Evidence]:
        spec = BY_NAME[intent.name]
        plan = spec.plan(entity.type)
        if plan is None:
            return self._overview(entity)
        items: list[Evidence] = []
        relations = plan.relations
        care = entity.type in (NodeType.DISEASE, NodeType.SYMPTOM) and has_trait(intent.name, Trait.CARE)
        if care and (RelType.INDICATED_FOR, Direction.IN) not in relations and \
                (RelType.TREATED_BY, Direction.OUT) in relations:
            relations = (*relations, (RelType.INDICATED_FOR, Direction.IN))  # both readings of "drugs for X"
        subjects = self._subjects(entity, intent.name)
        prose = prose_of(subjects, plan.properties)  # the drug's own words corroborate list items
        by_direction: dict[Direction, list[RelType]] = {}
        for rel, direction in relations:
            by_direction.setdefault(direction, []).append(rel)
        order = {r: i for i, (r, _) in enumerate(relations)}
        own: list[Fact] = []
        pooled: list[Fact] = []
        for subject in subjects:
            facts: list[Fact] = []
            for direction, rels in by_direction.items():  # one read per direction
                facts += self.graph.facts(subject.id, rels, direction)
            facts.sort(key=lambda f: order.get(f.relation, 99))
            if subject is entity:
                own = facts
            elif has_trait(intent.name, Trait.POOLED):
                pooled += facts
            else:
                items += facts_to_evidence(subject, facts, prose=prose, described=self._described,
                                           prevalence=self.prevalence)
        # other dosage forms of the same ingredient: their items corroborate the asked drug's list
        # (one ranked list, labelled as such) instead of each adding a list of its own
        others = "、".join(s.name for s in subjects if s is not entity)
        label = f"{entity.name}（含同成分药品{others}）" if pooled else ""
        context = drug_context(subjects, self.graph.facts) if entity.type == NodeType.DRUG and \
            has_trait(intent.name, Trait.NOISE_CHECKED) else None  # 禁忌 and reactions judge the indications (retrieval.evidence.noise)
        # the disease's synonym nodes and, when thin, its parent add their drugs (retrieval.evidence.candidates)
        pool = self._drug_pool(entity, own) if care else None
        if pool is not None:
            own = pool.facts
        # drugs by class (retrieval.evidence.salience); when the question names a population, retrieval.safety.patient
        # first drops every product its own label forbids, so a 禁用 product never returns as its generic
        # (磷酸可待因片 → 可待因 for 孕妇)
        pops = detect_population(question + (pool.implied if pool else "")) if care else []
        notes: list[Evidence] = []
        lead: dict[str, float] = {}
        if pops:  # the patient asked about: each product judged by its own label and class rules before grouping
            reads = self._patient_reads()
            extra = population_pool(entity, pops, own, self._described_disease, drug_facts_of(self.graph.facts))
            own, notes, lead = filter_drug_facts(own + pooled + extra.facts, entity, pops, reads.entities, reads.source,
                                                 reads.contra, reads.same_ingredient, reads.by_class)
            notes[:0], pooled = extra.notes, []
            lead = {i: max(lead.get(i, 0.0), extra.lead.get(i, 0.0)) for i in {*lead, *extra.lead}}
        fold = partial(fold_drugs, table=self._class_table, question=question, disease=entity,
                       entities=self.graph.entities, qualifiers=qualifiers, pool=pool,
                       indications=self._indications, lead=lead) if care else None
        items[:0] = [*facts_to_evidence(entity, own + pooled, prose=prose, described=self._described, label=label,
                                        prevalence=self.prevalence, context=context, fold=fold), *notes]
        for subject in subjects:
            items += property_evidence(subject, plan.properties)
        for ev in items:  # another entry's facts read as that entry's, never as the asked product's
            if ev.entity_id != entity.id and not ev.heading[len(ev.entity_name):].startswith(SAME_INGREDIENT_LABEL):
                relabel(ev, ev.entity_name, SAME_INGREDIENT_LABEL)
        if not items and intent.name != "ingredient":
            # the product lacks the asked relation: the same ingredient's facts, labelled as its
            for subject in self._same_ingredient(entity):
                items += self._subject_evidence(entity, subject, plan)
        if items and entity.type == NodeType.DRUG and has_trait(intent.name, Trait.SAFETY_NOTE):
            safety = self.graph.facts(entity.id, [RelType.CONTRAINDICATED, RelType.ADVERSE_REACTION], Direction.OUT)
            items += facts_to_evidence(entity, safety, prose=prose_of([entity], ("不良反应", "禁忌")),
                                       prevalence=self.prevalence)
        if items and entity.type == NodeType.DRUG and FOCUS_CUE.search(question.replace(entity.name, "")) and \
                not any(k in plan.properties for k in FOCUS_PROPS):
            # who may take it, with what: the sentences live in 注意事项 / 禁忌证 whatever the intent
            items += property_evidence(entity, FOCUS_PROPS)
        if items and care:  # what to check and where to go, when the graph has them
            more = self.graph.facts(entity.id, [RelType.NEEDS_CHECK, RelType.IN_DEPARTMENT], Direction.OUT)
            items += facts_to_evidence(entity, more, prose=prose_of([entity], ("检查", "就诊科室")))
        return items

    def _indications(self, drug_id: str) -> list[str]:
        """A drug's own indication names (its INDICATED_FOR edges): what corroborates a disease's tie."""
        return [f.target_name for f in self.graph.facts(drug_id, [RelType.INDICATED_FOR], Direction.OUT) if not f.flag]

    def _drug_pool(self, entity: Entity, own: list[Fact]) -> Pool:
        """The drug facts of the disease, its synonym nodes and (when thin) its parent, each fact
        keeping the node it was read from."""
        def read(node_id: str) -> list[Fact]:
            return [f for rel, d in DRUG_EDGES for f in self.graph.facts(node_id, [rel], d)]

        return gather(entity, own, self._disease_names, read,
                      lambda i: self.graph.facts(i, [RelType.RELATED_TO], Direction.OUT),
                      partial(western_count, table=self._class_table))

    def _subject_evidence(self, entity: Entity, subject: Entity, plan: Fetch) -> list[Evidence]:
        """The plan's facts and properties of one subject; another entry than the asked entity is
        labelled as the same ingredient's ("阿莫西林（同成分）的禁忌：…"), never as the product's own."""
        items: list[Evidence] = []
        by_direction: dict[Direction, list[RelType]] = {}
        for rel, direction in plan.relations:
            by_direction.setdefault(direction, []).append(rel)
        for direction, rels in by_direction.items():  # one read per direction
            facts = self.graph.facts(subject.id, rels, direction)
            order = {r: i for i, r in enumerate(rels)}
            items += facts_to_evidence(subject, sorted(facts, key=lambda f: order[f.relation]))
        items += property_evidence(subject, plan.properties)
        if subject.id != entity.id:
            for ev in items:
                relabel(ev, subject.name, SAME_INGREDIENT_LABEL)
        return items

    def _same_ingredient(self, entity: Entity) -> list[Entity]:
        """Entries of the same ingredient not consulted yet: other dosage forms (阿莫西林胶囊 for
        阿莫西林片) and a described ingredient entry whose name is the product's core name."""
        if entity.type not in (NodeType.DRUG, NodeType.INGREDIENT):
            return []
        ids = [e.id for e in self.linker.same_ingredient(entity.name)]
        core = core_name(entity.name)
        for f in self.graph.facts(entity.id, [RelType.HAS_INGREDIENT], Direction.OUT):
            if core_name(f.target_name) == core and f.target_id not in ids:
                ids.append(f.target_id)
        return [e for e in self.graph.entities(ids[:MAX_RELATED]) if e.described and e.id != entity.id]

    @property
    def drug_classes(self) -> DrugClassIndex:
        """The graph's drug classes (IN_CLASS edges), read at warm-up."""
        if self._drug_classes is None:
            self.warm_up()
        assert self._drug_classes is not None
        return self._drug_classes

    def _class_members(self, question: str, res: Resolution) -> RetrievalResult | None:
        """质子泵抑制剂有哪些: the class's members, citing the class edges (retrieval.pairs.drug_classes)."""
        found = class_question(self.drug_classes, question, res.entities, res.near_misses)
        if found is None:
            return None
        evidence, entities = found
        for i, ev in enumerate(evidence, start=1):
            ev.index = i
        return RetrievalResult(question=question, resolved_question=question, entities=entities,
                               intent=Intent(name="class_members", score=1.0, method="rule"), evidence=evidence,
                               snapshot=self._snapshot)
    def _patient_reads(self) -> PatientReads:
        return PatientReads(drug_ids=lambda e: drug_ids(self.graph, e), entities=self.graph.entities,
                            related=self._related, source=property_source, contra=self._contra_of,
                            same_ingredient=lambda d: [e.id for e in self.linker.same_ingredient(d.name, limit=2)],
                            by_class=class_reader(self._class_table.atc_codes))

    def _described_disease(self, name: str) -> Entity | None:
        hit = self.linker.described_named(name, NodeType.DISEASE) or self.linker.described_named(name, NodeType.SYMPTOM)
        return self.graph.entity(hit.id) if hit is not None else None

    def _contra_of(self, drug: Entity) -> tuple[str, str]:
        if self._contra is None:  # one scan of the 禁忌 edges, at the first question that needs it
            self._contra = ContraIndex.build(self.store.edge_rows(RelType.CONTRAINDICATED),
                                             lambda i: (e.name if (e := self.linker.entry(i)) else ""))
        return self._contra(drug)

    def _related(self, drug: Entity) -> list[Entity]:
        """The same ingredient's entries (handbook text, other dosage forms) of a drug."""
        more = self.graph.entities([e.id for e in self.linker.same_ingredient(drug.name, limit=MAX_SAFETY_RELATED)])
        found = [*self._subjects(drug, "contraindication")[1:], *self._same_ingredient(drug), *more]
        return [e for e in {e.id: e for e in found}.values() if e.described and e.id != drug.id]

    def _described(self, entity_id: str) -> bool:
        entry = self.linker.entry(entity_id)
        return bool(entry and entry.described)

    def _subjects(self, entity: Entity, intent: str) -> list[Entity]:
        """The entity, plus for drugs the same-ingredient entries: the handbook text linked at
        ingest (同成分) and, for indications, other dosage forms of the same ingredient."""
        subjects = [entity]
        if entity.type not in (NodeType.DRUG, NodeType.INGREDIENT) or intent == "ingredient":
            return subjects
        related: list[str] = []
        for f in self.graph.facts(entity.id, [RelType.HAS_INGREDIENT], Direction.BOTH):
            if f.predicate == "同成分" and f.target_id not in related:
                related.append(f.target_id)
        if intent == "indication":
            related += [e.id for e in self.linker.same_ingredient(entity.name) if e.id not in related]
        for other in self.graph.entities(related[:MAX_RELATED]):
            if other.described and other.id != entity.id:
                subjects.append(other)
        return subjects

    def _overview(self, entity: Entity) -> list[Evidence]:
        items = property_evidence(entity, OVERVIEW_PROPS)
        rels = OVERVIEW_RELS.get(entity.type, ())
        if rels:
            facts = self.graph.facts(entity.id, list(rels), Direction.OUT)
            items += facts_to_evidence(entity, facts, prose=prose_of([entity], OVERVIEW_PROPS),
                                       described=self._described)
        if entity.type == NodeType.DRUG:
            safety = self.graph.facts(entity.id, [RelType.CONTRAINDICATED, RelType.ADVERSE_REACTION], Direction.OUT)
            items += facts_to_evidence(entity, safety, prose=prose_of([entity], ("不良反应", "禁忌")),
                                       prevalence=self.prevalence)
        return items


    def _dense(self, question: str, main: LinkedEntity) -> list[Evidence]:
        """The linked entity's own passages ranked by cosine similarity to the question."""
        index = self.index
        if self.embedder is None or not index.rows_of(main.id):  # type: ignore[union-attr]
            return []
        q = self.embedder.embed_queries([question])[0]  # type: ignore[attr-defined]
        return [Evidence(index=0, entity_id=p.entity_id, entity_name=p.entity_name, entity_type=p.entity_type,
                         field=p.field, heading=f"{p.entity_name}的{p.field}", datasets=p.datasets,
                         sentences=prose_sentences(p.text, p.datasets),
                         score=round(score, 4), origin="dense")
                for p, score in index.search_entity(q, main.id, self.config.dense_k)]  # type: ignore[union-attr]


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 3)
