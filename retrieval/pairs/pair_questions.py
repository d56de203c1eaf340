"""Questions about two things together: two drugs (interaction, comparison), a drug and a condition,
alcohol or food, a drug and a class (他汀类和红霉素), a class and something else (吃头孢能喝酒吗).

A part of `retrieval.retriever.Retriever` (which it is mixed into): it reads the retriever's graph,
linker, class index and intent rules, and answers with the evidence of retrieval.pairs.interactions and
retrieval.pairs, or None when the question is not about a pair."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kg.schema import Entity, NodeType
from retrieval.evidence import property_source
from retrieval.intents import BY_NAME, IntentClassifier, Trait, has_trait
from retrieval.linking import LINK_THRESHOLD
from retrieval.pairs import (
    MAX_CLASS_MEMBERS,
    MAX_CLASS_SCAN,
    SYNONYMS,
    ClassIndex,
    condition_terms,
    other_terms,
    sentences_naming,
)
from retrieval.pairs.interactions import PairFinding, other_of, pair_follow_up
from retrieval.pairs.pair_plans import (
    PairContext,
    class_of_stem,
    drug_and_class,
    drug_and_other,
    has_products,
    names_a_class,
    two_drugs,
)
from retrieval.safety.can_take import condition_evidence
from retrieval.safety.patient import aliases
from retrieval.safety.population_classes import class_reader
from retrieval.types import Evidence, Intent, IntentMethod, LinkedEntity, LinkMethod, RetrievalResult

if TYPE_CHECKING:
    from kg.stores.base import GraphStore
    from retrieval.evidence.graph_reader import GraphReader
    from retrieval.linking import EntityLinker
    from retrieval.pairs.drug_classes import DrugClassIndex
    from retrieval.retriever import RetrieverConfig

#: "吃头孢能喝酒吗": a class question asks whether two things go together.
CLASS_CUE = re.compile(r"能|可以|可不可以|一起|同时|吗")


def dedupe(items: list[Evidence]) -> list[Evidence]:
    """`items` without a repeated (entity, text), in order."""
    seen: set[tuple[str, str]] = set()
    out: list[Evidence] = []
    for ev in items:
        if (ev.entity_id, ev.text) not in seen:
            seen.add((ev.entity_id, ev.text))
            out.append(ev)
    return out


class PairQuestions:
    """The retriever's two-entity questions (mixed into `Retriever`, whose state it reads)."""

    store: GraphStore
    graph: GraphReader
    intents: IntentClassifier
    config: RetrieverConfig
    _classes: ClassIndex | None
    _snapshot: str

    if TYPE_CHECKING:  # provided by Retriever
        @property
        def linker(self) -> EntityLinker: ...
        @property
        def prevalence(self) -> dict[str, int]: ...
        @property
        def drug_classes(self) -> DrugClassIndex: ...
        def _described(self, entity_id: str) -> bool: ...
        def _related(self, drug: Entity) -> list[Entity]: ...
        def _contra_of(self, drug: Entity) -> tuple[str, str]: ...
        def _kg_evidence(self, entity: Entity, intent: Intent, question: str = "") -> list[Evidence]: ...

    def _two_entities(self, question: str, found: list[LinkedEntity], timings: dict[str, float]) -> RetrievalResult | None:
        """X和Y能一起吃吗 / X和Y有什么区别 / 喝酒后能吃头孢吗: evidence about the pair, or None."""
        pairing = pair_follow_up(question)  # an earlier turn's drug is one of the pair (resolve)
        linked = [e for e in found if e.score >= LINK_THRESHOLD and (e.method != LinkMethod.HISTORY or pairing)]
        drugs = sorted({e.id: e for e in linked if e.type == NodeType.DRUG.value}.values(),
                       key=lambda e: (e.method != LinkMethod.HISTORY, e.start))  # the question's order
        # a mention-only "drug" named like a class (他汀类) is the class, not a drug
        drugs = [d for d in drugs if self._described(d.id) or not (cls := self._classes and self._classes.find(d.mention))
                 or not names_a_class(d.mention, cls[0]) or has_products(d.name, self.linker)]
        allergy = other_of(question, [])  # 对阿司匹林过敏能吃布洛芬吗: the allergen is not a drug taken
        drugs = [d for d in drugs if not (allergy and d.mention and d.mention in allergy)] or drugs
        text = question
        for e in linked:
            text = text.replace(e.mention, "") if e.mention else text
        # rules only: this check runs on every question and must not wake the embedding model
        cands = [c for c in self.intents.rule_candidates(text) if BY_NAME[c[0]].plan(NodeType.DRUG) is not None]
        name = max(cands, key=lambda c: (c[1], -c[2]))[0] if cands else ""
        clinical = any(e.type in (NodeType.DISEASE.value, NodeType.SYMPTOM.value) for e in linked)
        if not has_trait(name, Trait.PAIR) and not (len(drugs) <= 1 and not clinical and CLASS_CUE.search(text)) \
                and not (len(drugs) == 1 and clinical and CLASS_CUE.search(text)):
            return None
        intent = Intent(name=name or "interaction", score=1.0, method=IntentMethod.RULE)
        evidence: list[Evidence] = []
        finding: PairFinding | None = None
        entities = found
        if len(drugs) >= 2 and intent.name in ("interaction", "comparison"):  # retrieval.pairs.interactions
            evidence, finding = two_drugs(self._pair_context(), drugs, intent.name == "comparison")
        elif len(drugs) == 1 and (other := other_of(question, [drugs[0].mention])):
            evidence, finding = drug_and_other(self._pair_context(), drugs[0], other)
            intent = Intent(name="contraindication" if finding and finding.kind == "allergy" else "interaction",
                            score=1.0, method=IntentMethod.RULE)
            entities = [drugs[0], *[e for e in found if e.id != drugs[0].id]]
        elif len(drugs) == 1 and intent.name == "interaction" and (hit := self._classes and self._classes.find(
                question, [(drugs[0].start, drugs[0].end)])) and (cls := class_of_stem(hit[0], question)):
            evidence, finding = drug_and_class(self._pair_context(), drugs[0], hit[0], cls, hit[1],
                                               hit[2] < drugs[0].start)  # 他汀类和红霉素能一起吃吗
        elif len(drugs) == 1 and len(linked) > 1:
            # "肾功能不全能吃阿司匹林吗", "吃阿司匹林能喝酒吗": the drug's sentences naming the other thing
            drug = self.graph.entity(drugs[0].id)
            if drug is None:
                return None
            terms: list[str] = []
            for e in linked:
                if e.id == drug.id:
                    continue
                clinical_term = e.type in (NodeType.DISEASE.value, NodeType.SYMPTOM.value)
                terms += condition_terms(e.name) if clinical_term else other_terms(e.mention or e.name)
            conditions = [(e.mention or e.name, [*condition_terms(e.name), *aliases(self.graph, e.id)]) for e in linked
                          if e.id != drug.id and e.type in (NodeType.DISEASE.value, NodeType.SYMPTOM.value)]
            evidence = condition_evidence(question, drug, drugs[0].mention, self._related(drug), conditions,
                                          property_source, contra=self._contra_of,
                                          by_class=class_reader(self._class_table.atc_codes)) if conditions \
                else sentences_naming(drug, terms)
            if not evidence:
                return None
            intent = Intent(name="contraindication" if intent.name == "interaction" and clinical else intent.name
                            if has_trait(intent.name, Trait.PAIR) else "contraindication", score=1.0, method=IntentMethod.RULE)
            evidence += self._kg_evidence(drug, intent, question)
            entities = [drugs[0], *[e for e in found if e.id != drugs[0].id]]
        elif not drugs:
            evidence, members = self._class_evidence(question, linked, drugs)
            if not evidence:
                return None
            entities = [*members, *found]
            intent = Intent(name="interaction", score=intent.score, method=intent.method)
        else:
            return None
        if not evidence:
            return None
        evidence = dedupe(evidence)[: self.config.top_k + 4]
        for i, ev in enumerate(evidence, start=1):
            ev.index = i
        return RetrievalResult(question=question, resolved_question=question, entities=entities, intent=intent,
                               evidence=evidence, pair=finding.typed(evidence) if finding else None,
                               snapshot=self._snapshot, timings_ms=timings)

    def _class_evidence(self, question: str, linked: list[LinkedEntity],
                        drugs: list[LinkedEntity]) -> tuple[list[Evidence], list[LinkedEntity]]:
        """A drug class named in the question (头孢) against the other thing named (喝酒, or a drug)."""
        classes = self._classes
        if classes is None:
            return [], []
        hit = classes.find(question, [(e.start, e.end) for e in drugs if e.start >= 0])
        if hit is None:
            return [], []
        stem, members, where = hit
        terms = [t for e in linked if not (e.start <= where < e.end) for t in other_terms(e.mention or e.name)]
        terms += [t for key, more in SYNONYMS.items() if key in question for t in (key, *more)]
        if not terms:
            return [], []
        evidence: list[Evidence] = []
        chosen: list[LinkedEntity] = []
        for entity in self.store.get_entities([eid for eid, _ in members][:MAX_CLASS_SCAN]):
            if len(chosen) >= MAX_CLASS_MEMBERS:
                break
            found = sentences_naming(entity, terms)
            if found:
                evidence += found[:1]
                chosen.append(LinkedEntity(id=entity.id, name=entity.name, type=entity.type, mention=stem,
                                           score=0.9, method=LinkMethod.CLASS))
        return evidence, chosen

    def _pair_context(self) -> PairContext:
        return PairContext(self.linker, self.graph, self._classes.members if self._classes else {}, self._described,
                           self.prevalence, self.drug_classes.class_names_of, self.drug_classes.class_labels)
