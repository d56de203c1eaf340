"""The retrieval pipeline: question (+ history) → linked entity → intent → ranked Evidence.

KG facts for the linked entity and intent come first; dense passages (FAISS) and lexical
matches (jieba over the entity's own texts) are merged by reciprocal-rank fusion after them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg.normalize import core_name
from kg.schema import Direction, Entity, NodeType, RelType
from kg.stores.base import GraphStore
from retrieval.evidence import OVERVIEW_PROPS, OVERVIEW_RELS, facts_to_evidence, property_evidence
from retrieval.fusion import rrf_merge
from retrieval.graph_reader import GraphReader
from retrieval.intents import BY_NAME, Fetch, IntentClassifier, implied_types, is_follow_up
from retrieval.lexical import LexicalMatcher
from retrieval.linking import EntityLinker
from retrieval.types import Evidence, Intent, LinkedEntity, NearMiss, RetrievalResult

#: Below this a mention is not treated as "the" entity of the question.
LINK_THRESHOLD = 0.6
#: Related entities (same ingredient, handbook entry) consulted for a drug.
MAX_RELATED = 3
#: Drug questions that get a short safety note (禁忌, main 不良反应) besides their answer.
SAFETY_INTENTS = {"indication", "usage", "overview", "interaction", "ingredient"}
SAFETY_TARGETS = 8
#: Earlier turns a follow-up may reach back through (bounds the work on long histories).
MAX_HISTORY_TURNS = 8
#: How evidence of another entry of the same ingredient is labelled.
SAME_INGREDIENT_LABEL = "（同成分）"


@dataclass
class Resolution:
    """The outcome of linking one turn: its mentions, the entity it is about, or why none."""

    entities: list[LinkedEntity]
    main: LinkedEntity | None
    near_misses: list[NearMiss] = field(default_factory=list)
    refusal: str = ""


@dataclass
class RetrieverConfig:
    top_k: int = 12
    max_kg_items: int = 16
    dense_k: int = 8


class Retriever:
    """Thread-safe after `warm_up()`; holds the linker, intent classifier and optional index."""

    def __init__(self, store: GraphStore, *, embedder: object | None = None, index: object | None = None,
                 config: RetrieverConfig | None = None, cache_dir: Path | None = None) -> None:
        self.store = store
        self.graph = GraphReader(store)
        self.embedder = embedder
        self.index = index
        self.config = config or RetrieverConfig()
        self.intents = IntentClassifier(embedder)
        self.lexical = LexicalMatcher(cache_dir)
        self._linker: EntityLinker | None = None
        self._snapshot = ""
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    def warm_up(self) -> None:
        with self._lock:
            if self._linker is not None:
                return
            names = self.store.name_index()
            self._linker = EntityLinker(names, self.store.described_ids())
            self._linker.warm_up()
            self._snapshot = self.store.snapshot()
            self.lexical.add_words((name for _, _, name, _ in names), key=self._snapshot)
        self.lexical.warm_up()

    @property
    def linker(self) -> EntityLinker:
        if self._linker is None:
            self.warm_up()
        assert self._linker is not None
        return self._linker

    @property
    def snapshot(self) -> str:
        return self._snapshot

    # -- linking ---------------------------------------------------------------------------
    def link(self, question: str, history: Sequence[str] = ()) -> tuple[list[LinkedEntity], LinkedEntity | None]:
        """All mentions in the question, and the main entity (from history for follow-ups)."""
        res = self.resolve(question, history)
        return res.entities, res.main

    def resolve(self, question: str, history: Sequence[str] = ()) -> Resolution:
        """What the question is about, or why it cannot be answered.

        A near miss (a name the graph does not have) refuses the turn. A turn inherits the entity of
        an earlier one only when it names nothing itself *and* asks a medical follow-up
        (副作用, 禁忌, 怎么用, 孕妇能吃吗 …); an earlier turn that named an unknown entity stops the
        walk back, so "那氟美沙星片呢" is never answered with the drug before it."""
        prefer = implied_types(question, self.intents)
        own = self.linker.analyse(question, prefer=prefer)
        if own.near_misses:
            return Resolution(own.entities, None, own.near_misses, "near_miss")
        main = main_entity(own.entities)
        if main is not None:
            return Resolution(own.entities, main)
        if not is_follow_up(question, self.intents):
            return Resolution(own.entities, None, refusal="not_follow_up" if history else "no_entity")
        for turn in list(reversed(history))[:MAX_HISTORY_TURNS]:
            earlier = self.linker.analyse(turn, prefer=prefer)
            if earlier.near_misses:
                return Resolution(own.entities, None, earlier.near_misses, "history_near_miss")
            found = main_entity(earlier.entities)
            if found is not None:
                inherited = found.model_copy(update={"method": "history", "start": -1, "end": -1})
                return Resolution([inherited, *own.entities], inherited)
        return Resolution(own.entities, None, refusal="no_entity")

    # -- retrieval -------------------------------------------------------------------------
    def retrieve(self, question: str, history: Sequence[str] = (), top_k: int | None = None) -> RetrievalResult:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        res = self.resolve(question, history)
        found, main = res.entities, res.main
        timings["link_ms"] = _ms(t0)
        if main is None:
            intent = self.intents.classify(question, None)
            return RetrievalResult(question=question, resolved_question=question, entities=found,
                                   near_misses=res.near_misses, refusal=res.refusal,
                                   intent=intent, evidence=[], snapshot=self._snapshot, timings_ms=timings)
        t1 = time.perf_counter()
        mention = main.mention if main.method != "history" else ""
        intent = self.intents.classify(question, NodeType(main.type), mention)
        timings["intent_ms"] = _ms(t1)
        resolved = question if main.method != "history" else f"{main.name}：{question}"
        if intent.method == "default" and main.method != "history" and _coverage(question, main.mention) < 0.5:
            # nothing medical was asked and the name is a small part of the question
            # ("太阳系有几颗行星" mentions 太阳): not a question about that entity
            return RetrievalResult(question=question, resolved_question=question, entities=found,
                                   refusal="not_medical", intent=intent, evidence=[], snapshot=self._snapshot,
                                   timings_ms=timings)

        t2 = time.perf_counter()
        entity = self.graph.entity(main.id)
        kg_items = self._kg_evidence(entity, intent) if entity else []
        if main.method == "components":  # one block of evidence per component, in the written order
            for part in self.graph.entities([e.id for e in found if e.method == "components" and e.id != main.id]):
                kg_items += self._kg_evidence(part, intent)
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
        room = max(0, k - len(evidence)) if intent.name == "overview" or not evidence else max(0, min(3, k - len(evidence)))
        evidence += extra[:room]
        for i, ev in enumerate(evidence, start=1):
            ev.index = i
        timings["retrieve_ms"] = _ms(t0)
        return RetrievalResult(question=question, resolved_question=resolved, entities=found, intent=intent,
                               evidence=evidence, snapshot=self._snapshot, timings_ms=timings)

    def _kg_evidence(self, entity: Entity, intent: Intent) -> list[Evidence]:
        spec = BY_NAME[intent.name]
        plan = spec.plan(entity.type)
        if plan is None:
            return self._overview(entity)
        items: list[Evidence] = []
        for subject in self._subjects(entity, intent.name):
            items += self._subject_evidence(entity, subject, plan)
        if not items and intent.name != "ingredient":
            # the product lacks the asked relation: the same ingredient's facts, labelled as its
            for subject in self._same_ingredient(entity):
                items += self._subject_evidence(entity, subject, plan)
        if items and entity.type == NodeType.DRUG and intent.name in SAFETY_INTENTS:
            safety = self.graph.facts(entity.id, [RelType.CONTRAINDICATED, RelType.ADVERSE_REACTION], Direction.OUT)
            items += facts_to_evidence(entity, safety, max_targets=SAFETY_TARGETS)
        return items

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
                if ev.text.startswith(subject.name):
                    ev.text = f"{subject.name}{SAME_INGREDIENT_LABEL}{ev.text[len(subject.name):]}"
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
            items += facts_to_evidence(entity, facts, max_targets=20)
        if entity.type == NodeType.DRUG:
            safety = self.graph.facts(entity.id, [RelType.CONTRAINDICATED, RelType.ADVERSE_REACTION], Direction.OUT)
            items += facts_to_evidence(entity, safety, max_targets=SAFETY_TARGETS)
        return items

    def overview(self, entity_id: str) -> list[Evidence]:
        entity = self.graph.entity(entity_id)
        return self._overview(entity) if entity else []

    def _dense(self, question: str, main: LinkedEntity) -> list[Evidence]:
        """The linked entity's own passages ranked by cosine similarity to the question."""
        index = self.index
        if self.embedder is None or not index.rows_of(main.id):  # type: ignore[union-attr]
            return []
        q = self.embedder.embed_queries([question])[0]  # type: ignore[attr-defined]
        return [Evidence(index=0, entity_id=p.entity_id, entity_name=p.entity_name, entity_type=p.entity_type,
                         field=p.field, text=f"{p.entity_name}的{p.field}：{p.text}", source=p.source,
                         score=round(score, 4), origin="dense")
                for p, score in index.search_entity(q, main.id, self.config.dense_k)]  # type: ignore[union-attr]


def _coverage(question: str, mention: str) -> float:
    """Share of the question's characters (punctuation and spaces aside) that the mention covers."""
    content = "".join(ch for ch in question if ch.isalnum())
    return len(mention) / len(content) if content else 0.0


def main_entity(found: list[LinkedEntity]) -> LinkedEntity | None:
    """The entity a question is about: the best mention at or above LINK_THRESHOLD (lists are sorted)."""
    for ent in found:  # already sorted best first
        if ent.score >= LINK_THRESHOLD:
            return ent
    return None


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 3)
