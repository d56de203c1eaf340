"""The plans of pair questions: which entries and texts a pair is read from, once the question says what
is paired — two drugs side by side (comparison rows) or together (the interaction verdict), a drug and an
allergy or alcohol, a drug and a class (他汀类和红霉素). retrieval.pairs.pair_questions picks the plan;
retrieval.pairs.interactions reads the texts and gives the verdict."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kg.schema import Direction, Entity, RelType
from retrieval.evidence.graph_reader import GraphReader
from retrieval.linking import EntityLinker
from retrieval.pairs import comparison_evidence
from retrieval.pairs.class_terms import BY_NAME as CLASS_BY_NAME
from retrieval.pairs.class_terms import CLASSES, class_aliases, generic_of
from retrieval.pairs.interactions import (
    COMBINATION,
    SALTS,
    FactReader,
    PairFinding,
    class_peers,
    classes_of,
    family_of,
    find_interaction,
    names_of,
    other_finding,
    scan_texts,
)
from retrieval.types import Evidence, LinkedEntity

#: What a comparison needs from an entry: one of these facts or texts.
_COMPARE_RELS = [RelType.IN_CATEGORY, RelType.INDICATED_FOR, RelType.ADVERSE_REACTION, RelType.CONTRAINDICATED]
_COMPARE_PROPS = ("适应证", "适应症", "功能主治", "不良反应", "禁忌证", "禁忌", "药品类型")


def compared(sides: Sequence[Sequence[Entity]], read: FactReader) -> list[Entity]:
    """Per side, the entry that holds comparison data: the asked one, else the first product of the same
    generic that does (氯沙坦 → 氯沙坦钾片); the asked entry when none does (the answer then says so)."""
    out: list[Entity] = []
    for side in sides:
        best = next((e for e in side if sum(not f.flag for f in read(e.id, _COMPARE_RELS, Direction.OUT)) >= 2 or
                     sum(bool(e.properties.get(p)) for p in _COMPARE_PROPS) >= 2), None)
        out.append(best or side[0])
    return out


def label_of(linked: LinkedEntity) -> str:
    """How an answer names a side: the question's own word (辛伐他汀), else the entry's generic name."""
    return linked.mention.strip() if linked.mention and linked.start >= 0 else generic_of(linked.name)


def has_products(name: str, linker: EntityLinker) -> bool:
    """A generic the graph holds only as products (氯沙坦 → 氯沙坦钾片) is a drug, not a class stem."""
    generic = generic_of(name)
    return any(linker.same_ingredient(k, limit=1) for k in (name, generic, *(generic + s for s in SALTS)))


_CLASS_WORD = re.compile(r"(?:类药物|类药|类|药物|药)$")


def names_a_class(mention: str, stem: str) -> bool:
    """他汀类 / 头孢 name a class; 复方磺胺甲噁唑 merely starts with a class-like stem (复方)."""
    return len(_CLASS_WORD.sub("", mention)) <= len(stem) + 1


@dataclass
class PairContext:
    """What the pair plans read, handed over by the retriever."""

    linker: EntityLinker
    graph: GraphReader
    class_members: Mapping[str, Sequence[tuple[str, str]]]
    described: Callable[[str], bool]
    prevalence: Mapping[str, int]
    #: the graph's drug classes (IN_CLASS, retrieval.pairs.drug_classes): how texts name an entry's classes,
    #: and the ATC labels of the comparison's 分类 row
    class_names: Callable[[str], list[str]] = lambda _id: []
    class_labels: Callable[[str], list[str]] = lambda _id: []

    def peers(self, name: str) -> list[Entity]:
        return self.graph.entities(class_peers(name, lambda k: self.class_members.get(k, [])))


def two_drugs(ctx: PairContext, drugs: Sequence[LinkedEntity], comparison: bool) -> tuple[list[Evidence], PairFinding | None]:
    """X和Y有什么区别 (rows of the entries holding data) or X和Y能一起吃吗 (the verdict and its sentences)."""
    by_id = {e.id: e for e in ctx.graph.entities([d.id for d in drugs[:2]])}
    if len(by_id) < 2:
        return [], None
    sides = [family_of(by_id[d.id], ctx.linker, ctx.graph) for d in drugs[:2]]  # 氯沙坦 → 氯沙坦钾片 …
    if comparison:
        return comparison_evidence(compared(sides, ctx.graph.facts), ctx.graph.facts, ctx.described,
                                   ctx.prevalence, ctx.class_labels, families=sides), None
    finding = find_interaction(sides[0], sides[1], (label_of(drugs[0]), label_of(drugs[1])), ctx.graph.facts,
                               ctx.class_names)
    return finding.evidence(), finding


def drug_and_other(ctx: PairContext, drug: LinkedEntity, other: str) -> tuple[list[Evidence], PairFinding | None]:
    """青霉素过敏能用头孢克洛吗 / 吃甲硝唑能喝酒吗: the drug family's sentences on the allergy or on alcohol."""
    entity = ctx.graph.entity(drug.id)
    if entity is None:
        return [], None
    finding = other_finding(family_of(entity, ctx.linker, ctx.graph), label_of(drug), other, ctx.graph.facts,
                            ctx.peers)
    return finding.evidence(), finding


#: Class stems a question may name beside a drug (他汀类和红霉素): the table's name endings and 头孢.
MAX_CLASS_PEERS = 20


def class_of_stem(stem: str, question: str) -> str:
    """The table class a question's stem names (他汀 → 他汀类), or "" for a stem that is no class."""
    if stem == "头孢":
        return "头孢菌素类"
    found = next((c.name for c in CLASSES if stem in c.endings), "")
    return found or (stem + "类" if stem + "类" in question and stem + "类" in CLASS_BY_NAME else "")


def drug_and_class(ctx: PairContext, drug: LinkedEntity, stem: str, cls: str, members: Sequence[tuple[str, str]],
                   class_first: bool = False) -> tuple[list[Evidence], PairFinding | None]:
    """他汀类和红霉素能一起吃吗: the drug family's sentences naming the class, and class members' sentences
    naming the drug (or its class), under one verdict."""
    entity = ctx.graph.entity(drug.id)
    if entity is None:
        return [], None
    side = family_of(entity, ctx.linker, ctx.graph)
    names = [n for n in dict.fromkeys((stem + "类", *class_aliases(cls), stem)) if len(n) >= 2]
    peers = ctx.graph.entities([eid for eid, name in members if not COMBINATION.search(name)][:MAX_CLASS_PEERS])
    own = names_of(side, label_of(drug))
    seen: set[str] = set()
    hits = scan_texts(side, names, [], ctx.graph.facts, seen)
    hits += scan_texts(peers, own, classes_of(side, ctx.graph.facts, own), ctx.graph.facts, seen)[:4]
    labels = (label_of(drug), stem + "类")
    finding = PairFinding(labels=labels[::-1] if class_first else labels, subject=entity, hits=hits)
    return finding.evidence(), finding
