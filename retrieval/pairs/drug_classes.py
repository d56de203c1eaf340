"""Drug classes at answer time, read from the graph's IN_CLASS edges (kg.drug_classes, kg.sources.atc).

- `find(question)`: the class a question names — a synonym (质子泵抑制剂, PPI, 磺酰脲类降糖药, ARB,
  他汀类, 头孢类) or a class node's own name — and whether it asks for the members (有哪些 …, or
  the question is little more than the class: "ARB类降压药").
- `listing(...)`: the members as evidence, one item per derivation (ATC table, INN stem, source
  class text), each citing the IN_CLASS edges' dataset, so an answer says how it knows.
- `class_names_of(drug_id)`: every way text names a drug's classes (大环内酯类, 非甾体抗炎药,
  NSAIDs, 质子泵抑制剂, PPI …), for interaction and cross-allergy evidence.
- `class_labels(drug_id)`: "二氢吡啶衍生物（ATC代码 C08CA）", for comparisons.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from kg.classes import TCM_CLASS, bare_name, class_label, class_terms, generic_name
from kg.classes.synonyms import MEMBER_FILTER, TERM_CODES
from kg.schema import Direction, Entity, NodeType, RelType
from kg.stores.base import GraphStore
from kg.vocabulary import source_label
from retrieval.rendering import list_names
from retrieval.types import Evidence, LinkedEntity, LinkMethod

DERIVATION_ORDER = ("atc", "inn-stem", "name-pattern", "source-class")
#: a question asking for the members of a class
LIST_CUE = re.compile(r"有哪些|哪些|有什么|有啥|包括|包含|都有|列举|举例|比如|例如|什么药|哪种|哪几|代表药")
#: what may stand around a bare class name ("ARB类降压药", "他汀类药物") and still ask for its members
_BARE = re.compile(r"^[类的药物剂降压糖脂血抗菌生素常用口服注射主要\s？?。!！]*$")
ORAL = re.compile(r"(?:片|胶囊|颗粒|干混悬剂|混悬液|口服液|口服溶液|糖浆|丸|散|胶丸|滴丸|冲剂|口崩片)(?:\(.*\))?$")
NOT_ORAL = re.compile(r"注射|滴眼|眼膏|软膏|乳膏|凝胶|栓|喷雾|气雾|吸入|贴|外用|滴耳|滴鼻|阴道")
MAX_MEMBERS = 60


@dataclass(frozen=True)
class ClassNode:
    id: str
    name: str
    code: str


@dataclass(frozen=True)
class ClassHit:
    code: str
    term: str
    start: int
    end: int
    asks_members: bool


class DrugClassIndex:
    """IN_CLASS edges (usable only) and the class nodes they point to."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        edges = [e for e in store.edge_rows(RelType.IN_CLASS) if not e.flag]
        ids = sorted({e.target_id for e in edges})
        self.nodes: dict[str, ClassNode] = {}
        for ent in store.get_entities(ids) if ids else []:
            code = ent.properties.get("ATC代码", "")
            self.nodes[ent.id] = ClassNode(ent.id, ent.name, code if isinstance(code, str) else "")
        self.by_drug: dict[str, list[tuple[str, str]]] = defaultdict(list)  # drug → [(class id, dataset)]
        self.by_class: dict[str, list[tuple[str, str]]] = defaultdict(list)  # class id → [(drug, dataset)]
        for e in edges:
            if e.target_id in self.nodes:
                self.by_drug[e.source_id].append((e.target_id, e.dataset))
                self.by_class[e.target_id].append((e.source_id, e.dataset))
        self.by_code = {n.code: n for n in self.nodes.values() if n.code}
        terms = dict(TERM_CODES)
        for n in self.nodes.values():
            if n.code and len(n.name) >= 3:
                terms.setdefault(n.name, n.code)
        self._terms = sorted(terms.items(), key=lambda kv: -len(kv[0]))

    def __len__(self) -> int:
        return len(self.by_drug)

    # -- what a question names --------------------------------------------------------------
    def find(self, question: str) -> ClassHit | None:
        """The longest class term in the question (ASCII terms only as whole words)."""
        for term, code in self._terms:
            start = _find_term(question, term)
            if start < 0:
                continue
            end = start + len(term)
            rest = question[:start] + question[end:]
            return ClassHit(code, term, start, end, bool(LIST_CUE.search(rest) or _BARE.match(rest)))
        return None

    def members(self, code: str) -> list[tuple[str, str, str]]:
        """(drug id, class node id, dataset) of every drug in the class or one of its subclasses."""
        out: list[tuple[str, str, str]] = []
        for node in self.nodes.values():
            if node.code and node.code.startswith(code):
                out += [(d, node.id, ds) for d, ds in self.by_class[node.id]]
        return out

    def node_for(self, code: str) -> ClassNode | None:
        """The class node of `code`, else of its nearest ancestor, else any subclass's."""
        for k in range(len(code), 0, -1):
            if code[:k] in self.by_code:
                return self.by_code[code[:k]]
        return next((n for c, n in sorted(self.by_code.items()) if c.startswith(code)), None)

    # -- evidence ---------------------------------------------------------------------------
    def listing(self, hit: ClassHit, question: str) -> tuple[list[Evidence], LinkedEntity | None]:
        """The members of the asked class, one evidence item per derivation."""
        node = self.node_for(hit.code)
        rows = self.members(hit.code)
        if node is None or not rows:
            return [], None
        drugs = {e.id: e for e in self.store.get_entities(sorted({d for d, _, _ in rows}))}
        oral = "口服" in question
        wanted = MEMBER_FILTER.get(hit.code, "")
        by_ds: dict[str, Counter[str]] = defaultdict(Counter)
        for drug_id, _cls, ds in rows:
            d = drugs.get(drug_id)
            if d is None or d.type != NodeType.DRUG:
                continue
            product = _product_name(d)
            if oral and (not ORAL.search(product) or NOT_ORAL.search(product)):
                continue
            generic = generic_name(product)
            if wanted and wanted not in generic:
                continue
            if generic:
                by_ds[ds][generic] += 1
        seen: set[str] = set()
        evidence: list[Evidence] = []
        code_text = f"ATC代码 {hit.code}"
        label = _label(hit, node)
        if "atc" in by_ds or "inn-stem" in by_ds or "name-pattern" in by_ds:  # source class text is the weakest route: only when alone
            by_ds.pop("source-class", None)
        for ds in sorted(by_ds, key=lambda d: DERIVATION_ORDER.index(d) if d in DERIVATION_ORDER else 9):
            names = [g for g, _ in sorted(by_ds[ds].items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
                     if g not in seen][:MAX_MEMBERS]
            seen.update(names)
            if not names:
                continue
            head = f"{label}（{code_text}，{source_label(ds)}）{'的口服药' if oral else '的药物'}"
            evidence.append(Evidence(index=0, entity_id=node.id, entity_name=node.name,
                                     entity_type=NodeType.CATEGORY.value, field=f"{RelType.IN_CLASS.value}<-",
                                     heading=head, relation=RelType.IN_CLASS, direction=Direction.IN, names=list_names(names),
                                     datasets=[ds], target_name="、".join(names), reliable=len(names)))
        linked = LinkedEntity(id=node.id, name=node.name, type=NodeType.CATEGORY, mention=hit.term,
                              score=1.0, method=LinkMethod.CLASS, start=hit.start, end=hit.end)
        return evidence, linked

    # -- a drug's classes -------------------------------------------------------------------
    def classes_of(self, drug_id: str) -> list[tuple[ClassNode, str]]:
        """(class node, dataset) of one drug, ATC table first."""
        rows = [(self.nodes[c], ds) for c, ds in self.by_drug.get(drug_id, [])]
        return sorted(rows, key=lambda r: DERIVATION_ORDER.index(r[1]) if r[1] in DERIVATION_ORDER else 9)

    def class_names_of(self, drug_id: str) -> list[str]:
        """How text names the drug's classes: the class names and their synonyms, down to level 3
        (M01AE ibuprofen → 丙酸衍生物, 非甾体抗炎药, NSAIDs …; never the broad 抗生素 of J01)."""
        out: list[str] = []
        for node, _ds in self.classes_of(drug_id):
            if node.name == TCM_CLASS:
                continue
            out += class_terms(node.code, node.name, min_len=4) if node.code else [node.name]
        return list(dict.fromkeys(out))

    def class_labels(self, drug_id: str) -> list[str]:
        """'二氢吡啶衍生物（ATC代码 C08CA）' per class of the drug, ATC table first."""
        return list(dict.fromkeys(class_label(n.name, n.code) for n, _ in self.classes_of(drug_id)))


def _find_term(question: str, term: str) -> int:
    if not term.isascii():
        return question.find(term)
    m = re.search(rf"(?<![A-Za-z]){re.escape(term)}(?![A-Za-z])", question)
    return m.start() if m else -1


def _label(hit: ClassHit, node: ClassNode) -> str:
    """The asked term when it is not the node's own name (质子泵抑制剂 for 质子泵抑制药)."""
    name = bare_name(node.name, node.code)
    return name if hit.term in (node.name, name) or node.code != hit.code else f"{hit.term}（{name}）"


def _product_name(drug: Entity) -> str:
    value = drug.properties.get("通用名")
    text = value if isinstance(value, str) else (value[0] if value else "")
    return text or drug.name


def linked_outside(found: Sequence[LinkedEntity], hit: ClassHit) -> list[LinkedEntity]:
    """Linked mentions that are not the class term itself (a drug or disease also asked about)."""
    return [e for e in found if e.start >= 0 and not (e.start < hit.end and hit.start < e.end)
            and e.type in (NodeType.DRUG.value, NodeType.DISEASE.value, NodeType.SYMPTOM.value)]


def class_question(index: DrugClassIndex, question: str, found: Sequence[LinkedEntity],
                   near_misses: Sequence[object] = ()) -> tuple[list[Evidence], list[LinkedEntity]] | None:
    """质子泵抑制剂有哪些 / 头孢类有哪些口服药 / ARB类降压药: the class's members, or None when the
    question does not ask for a class's members (it also names a drug or disease, or a name the
    graph lacks outside the class term)."""
    hit = index.find(question)
    if hit is None or not hit.asks_members:
        return None
    if any(e.start >= 0 and e.start <= hit.start and hit.end <= e.end and e.end - e.start > hit.end - hit.start
           for e in found if e.type == NodeType.DRUG.value):
        return None  # 他汀 inside 阿托伐他汀: the question names a drug of the class, not the class
    bare = bool(_BARE.match(question[:hit.start] + question[hit.end:]))  # ARB类降压药: 降压药 is no other subject
    if not bare and linked_outside(found, hit):
        return None
    if not bare and any(not (getattr(m, "start", -1) < hit.end and hit.start < getattr(m, "end", -1)) for m in near_misses):
        return None
    evidence, linked = index.listing(hit, question)
    if not evidence or linked is None:
        return None
    return evidence, [linked, *[e for e in found if not (e.start < hit.end and hit.start < e.end)]]
