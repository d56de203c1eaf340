"""Fact quality: the cleaning stage that flags relationship targets which are not answer items.

The sources' term lists are extracted automatically and carry noise (司他夫定片 → 双盲、随机;
非布司他片 → 尿酸; 痛风 → 丙氨酸 as a check). This stage judges every target of the answer-bearing
relationships and records a short reason in `Relation.flag` — nothing is deleted: a flagged edge
stays in the graph, `kg audit` counts it and answers leave it out (or fold it under 低置信度).

Rules, in order, per relationship type (`RULES`):

1. **Lexicon** (kg.lexicon): the whole normalized target name is a trial-design word
   (`trial_design`), a bare lab analyte or amino acid (`lab_analyte`), or a generic word /
   population word / too-vague indication / bare body part (`generic_word`).
   A name that starts by referring back to the label (此类患者, 本品…) is a `generic_word` too.
   An indication made only of traditional-medicine action + object pairs (清热, 化痰, 活血止痛) is a
   `tcm_action`: a 功效 phrase from 功能主治 text, not a condition — unless a source describes the
   target as a disease or symptom (壮热).
2. **Wrong kind** (`wrong_type`), judged from what the graph itself knows about the target: the
   type a source *describes* it as (a source's own subject), and the roles it plays elsewhere
   (subject of 常见症状 → a disease; target of HAS_SYMPTOM → a symptom; target of NEEDS_CHECK → a
   check; target of TREATED_BY or subject of 适应症 → a drug; target of HAS_INGREDIENT /
   IN_CATEGORY / food / department edges → not a condition). Indications and adverse reactions
   want a disease or symptom: flagged when the graph has evidence that the target is something
   else and none that it is a disease or symptom (no evidence at all = kept; so herbs such as
   一匹草, described as drugs, stay treatments). Checks, treatments and symptoms are flagged only
   when a source describes the target as a kind they cannot be (a check named like a test —
   …检查, …试验, CT — is a check whatever else it is described as).
3. **Near duplicates** (`near_duplicate`, indications, adverse reactions, symptoms): on one
   subject and relationship, X collapses into the more specific X症 / X血症 / X病; a
   bracketed label annotation X（0.4%） / X（轻度） and a phrase 用于X / 治疗X collapse into X —
   whenever the kept item is itself unflagged. Checks and treatments are not collapsed: a
   bracket there names an abbreviation or a distinct product (…缓释片（II）).

4. **Self-contradiction** (`contraindicated_self`, indications): the same drug's 禁忌 text names the
   target as a condition (kg.contradictions: 十一酸睾酮软胶囊 → 乳腺癌, whose 禁忌 reads
   "前列腺癌、乳腺癌患者及可疑者禁用"; negated or excepted mentions do not count), or the drug has
   the same target as a CONTRAINDICATED edge. Judged on the edges no earlier rule flagged.

The pass reads the whole graph once (`GraphStore.edge_rows`, `name_index`, `described_ids`),
writes only the flags that changed (`GraphStore.set_flags`), and is idempotent.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from kg import lexicon
from kg.contradictions import CONTRA_PROPS, contra_sentence
from kg.normalize import normalize_name
from kg.schema import NodeType, Relation, RelType
from kg.stores.base import EdgeRow, GraphStore


class Reason(StrEnum):
    TRIAL_DESIGN = "trial_design"
    LAB_ANALYTE = "lab_analyte"
    GENERIC_WORD = "generic_word"
    WRONG_TYPE = "wrong_type"
    NEAR_DUPLICATE = "near_duplicate"
    TCM_ACTION = "tcm_action"
    CONTRA_SELF = "contraindicated_self"


class Kind(StrEnum):
    """What the graph says a node is, from descriptions and roles."""

    DISEASE = "disease"
    SYMPTOM = "symptom"
    CHECK = "check"
    DRUG = "drug"
    OTHER = "other"  # ingredient, category, food, department: never a condition


@dataclass(frozen=True, slots=True)
class Rule:
    """How the targets of one relationship type are judged."""

    #: lexicon sets → the reason they flag
    lexicon: tuple[tuple[frozenset[str], Reason], ...]
    #: kinds a target may be; evidence of another kind and none of these → wrong_type
    wanted: frozenset[Kind] = frozenset()
    #: True: judge from roles and descriptions; False: from what sources describe only
    use_roles: bool = False
    near_duplicates: bool = True
    #: a name containing one of these words is of a wanted kind whatever the graph says
    exempt_words: tuple[str, ...] = ()


_TRIAL = (lexicon.TRIAL_DESIGN, Reason.TRIAL_DESIGN)
_LAB = (lexicon.LAB_ANALYTES | lexicon.AMINO_ACIDS, Reason.LAB_ANALYTE)
_AMINO = (lexicon.AMINO_ACIDS, Reason.LAB_ANALYTE)
_GENERIC = (lexicon.GENERIC_WORDS, Reason.GENERIC_WORD)
_GENERIC_ALL = (lexicon.GENERIC_WORDS | lexicon.POPULATIONS | lexicon.BODY_PARTS, Reason.GENERIC_WORD)
_CONDITION = frozenset({Kind.DISEASE, Kind.SYMPTOM})

RULES: dict[RelType, Rule] = {
    RelType.INDICATED_FOR: Rule(
        (_TRIAL, _LAB, (lexicon.GENERIC_WORDS | lexicon.POPULATIONS | lexicon.VAGUE_INDICATIONS
                        | lexicon.BODY_PARTS, Reason.GENERIC_WORD)), _CONDITION, use_roles=True),
    RelType.ADVERSE_REACTION: Rule((_TRIAL, _LAB, _GENERIC_ALL), _CONDITION, use_roles=True),
    RelType.HAS_SYMPTOM: Rule((_TRIAL, _LAB, _GENERIC_ALL), _CONDITION),
    # a bare analyte names what is measured, a fair check; a bare amino acid is not (except for
    # an amino-acid disorder, see _amino_acid_disorders); a described
    # drug may be the analyte (叶酸), a described disease is not a test
    RelType.NEEDS_CHECK: Rule((_TRIAL, _AMINO, _GENERIC), frozenset({Kind.CHECK, Kind.SYMPTOM, Kind.DRUG, Kind.OTHER}),
                              near_duplicates=False,
                              exempt_words=tuple(normalize_name(w) for w in lexicon.CHECK_WORDS)),
    RelType.TREATED_BY: Rule((_TRIAL, _GENERIC), frozenset({Kind.DRUG, Kind.OTHER}), near_duplicates=False),
    # populations (孕妇) and vague words (感染) are real contraindications
    RelType.CONTRAINDICATED: Rule((_TRIAL, _GENERIC), near_duplicates=False),
}

#: described node type → kind (Concept and Cause say nothing)
_TYPE_KIND: dict[NodeType, Kind] = {
    NodeType.DISEASE: Kind.DISEASE, NodeType.SYMPTOM: Kind.SYMPTOM, NodeType.CHECK: Kind.CHECK,
    NodeType.DRUG: Kind.DRUG, NodeType.INGREDIENT: Kind.OTHER, NodeType.FOOD: Kind.OTHER,
    NodeType.CATEGORY: Kind.OTHER, NodeType.DEPARTMENT: Kind.OTHER,
}
#: the role an edge gives its subject (first) and its target (second)
_ROLES: dict[RelType, tuple[Kind | None, Kind | None]] = {
    RelType.HAS_SYMPTOM: (Kind.DISEASE, Kind.SYMPTOM),
    RelType.NEEDS_CHECK: (Kind.DISEASE, Kind.CHECK),
    RelType.TREATED_BY: (Kind.DISEASE, Kind.DRUG),
    RelType.IN_DEPARTMENT: (Kind.DISEASE, Kind.OTHER),
    RelType.COMPLICATION: (Kind.DISEASE, Kind.DISEASE),
    RelType.HAS_CAUSE: (Kind.DISEASE, None),
    RelType.GOOD_FOOD: (Kind.DISEASE, Kind.OTHER),
    RelType.AVOID_FOOD: (Kind.DISEASE, Kind.OTHER),
    RelType.INDICATED_FOR: (Kind.DRUG, None),
    RelType.ADVERSE_REACTION: (Kind.DRUG, None),
    RelType.CONTRAINDICATED: (Kind.DRUG, None),
    RelType.HAS_INGREDIENT: (Kind.DRUG, Kind.OTHER),
    RelType.IN_CATEGORY: (None, Kind.OTHER),
}

#: suffixes that make X more specific (X → X症); the longer first
SPECIFIC_SUFFIXES = ("血症", "症", "病")
#: leading words that turn a condition into a phrase (用于风热咳嗽 → 风热咳嗽)
PHRASE_PREFIXES = ("用于治疗", "适用于", "用于", "治疗", "主治")
_BRACKETED = re.compile(r"\([^()]*\)")


@dataclass(slots=True)
class GraphKnowledge:
    """What the whole graph says about each node: described kind and role kinds."""

    described: dict[str, Kind] = field(default_factory=dict)
    roles: dict[str, set[Kind]] = field(default_factory=lambda: defaultdict(set))
    names: dict[str, str] = field(default_factory=dict)  # id → name

    def kinds(self, node_id: str, use_roles: bool) -> set[Kind]:
        out = set(self.roles.get(node_id, ())) if use_roles else set()
        if node_id in self.described:
            out.add(self.described[node_id])
        return out


@dataclass(slots=True)
class CleanSummary:
    """The outcome of one cleaning pass."""

    judged: int = 0  # edges of the judged relationship types
    changed: int = 0  # flags written (set, changed or cleared)
    seconds: float = 0.0
    #: relationship type → reason → flagged edges after the pass
    flagged: dict[str, dict[str, int]] = field(default_factory=dict)


def _lexicon_index(rule: Rule) -> dict[str, str]:
    out: dict[str, str] = {}
    for terms, reason in reversed(rule.lexicon):  # the first set listed wins
        out.update(dict.fromkeys(terms, reason.value))
    return out


_LEXICON: dict[RelType, dict[str, str]] = {rel: _lexicon_index(rule) for rel, rule in RULES.items()}
_FRAGMENT_PREFIXES = tuple(normalize_name(p) for p in lexicon.FRAGMENT_PREFIXES)
FRAGMENT_MAX_CHARS = 8  # 此类患者 is a fragment; a longer 本品… text is a sentence worth keeping


def judge_lexicon(rel: RelType, name: str) -> str:
    """The lexicon reason for target `name` of relationship `rel`, or ""."""
    if rel not in RULES:
        return ""
    key = normalize_name(name)
    found = _LEXICON[rel].get(key, "")
    if not found and len(key) <= FRAGMENT_MAX_CHARS and key.startswith(_FRAGMENT_PREFIXES):
        found = Reason.GENERIC_WORD.value
    return found


_TCM_ACTION = re.compile(f"^(?:[{lexicon.TCM_ACTION_VERBS}][{lexicon.TCM_ACTION_OBJECTS}]){{1,3}}$")


def judge_action(rel: RelType, target_id: str, name: str, graph: GraphKnowledge) -> str:
    """`tcm_action` for an indication that is an efficacy phrase (see the module docstring)."""
    if rel != RelType.INDICATED_FOR or graph.described.get(target_id) in _CONDITION:
        return ""
    return Reason.TCM_ACTION.value if _TCM_ACTION.match(normalize_name(name)) else ""


def judge_kind(rel: RelType, target_id: str, name: str, graph: GraphKnowledge) -> str:
    """`wrong_type` when the graph knows the target is another kind than `rel` wants."""
    rule = RULES.get(rel)
    if rule is None or not rule.wanted:
        return ""
    kinds = graph.kinds(target_id, rule.use_roles)
    if not kinds or kinds & rule.wanted:
        return ""
    if rule.exempt_words and any(w in normalize_name(name) for w in rule.exempt_words):
        return ""
    return Reason.WRONG_TYPE.value


def near_duplicates(keys: dict[str, str]) -> set[str]:
    """Ids among {id: normalized name} (one subject's unflagged targets of one relationship)
    that collapse into a more specific or cleaner sibling."""
    by_key = {k: i for i, k in keys.items()}
    out: set[str] = set()
    for key, ident in by_key.items():
        if key.endswith(SPECIFIC_SUFFIXES):  # key = X症: X (if present) collapses into it
            for suffix in SPECIFIC_SUFFIXES:
                if key.endswith(suffix) and (base := by_key.get(key[:-len(suffix)])) is not None:
                    out.add(base)
        if "(" in key:  # X（轻度） collapses into X
            bare = _BRACKETED.sub("", key)
            if bare and bare != key and bare in by_key:
                out.add(ident)
        if key.startswith(PHRASE_PREFIXES):  # 用于X collapses into X
            for p in PHRASE_PREFIXES:
                if key.startswith(p) and key[len(p):] in by_key:
                    out.add(ident)
                    break
    return out


def _amino_acid_disorders(edges: list[EdgeRow], graph: GraphKnowledge) -> dict[str, set[str]]:
    """Subject → amino-acid checks that are real for it: an amino-acid disorder (同型胱氨酸尿症,
    高氨血症, 氨基酸代谢病 — the name says 氨) measures them; for 痛风 they are crawl noise."""
    out: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        if normalize_name(graph.names.get(e.target_id, "")) in lexicon.AMINO_ACIDS \
                and "氨" in graph.names.get(e.source_id, ""):
            out[e.source_id].add(e.target_id)
    return out


@dataclass(slots=True)
class JudgedEdges:
    """The edges of one judged relationship type and the flag each should carry."""

    relation: RelType
    edges: list[EdgeRow]
    flags: list[str]


def compute_flags(relation: RelType, edges: list[EdgeRow], graph: GraphKnowledge) -> list[str]:
    """The flag of every edge of one judged relationship type, aligned with `edges`."""
    rule = RULES[relation]
    verdicts: dict[str, str] = {}  # lexicon and kind depend on the target only
    keys: dict[str, str] = {}
    flags: list[str] = []
    groups: dict[str, dict[str, str]] = defaultdict(dict)
    collapse = rule.near_duplicates
    amino_ok = _amino_acid_disorders(edges, graph) if relation == RelType.NEEDS_CHECK else {}
    for e in edges:
        if relation == RelType.NEEDS_CHECK and e.target_id in amino_ok.get(e.source_id, ()):
            flags.append("")
            continue
        reason = verdicts.get(e.target_id)
        if reason is None:
            name = graph.names.get(e.target_id, "")
            reason = (judge_lexicon(relation, name) or judge_action(relation, e.target_id, name, graph)
                      or judge_kind(relation, e.target_id, name, graph))
            verdicts[e.target_id] = reason
            keys[e.target_id] = normalize_name(name)
        flags.append(reason)
        if collapse and not reason:
            groups[e.source_id][e.target_id] = keys[e.target_id]
    duplicates: set[tuple[str, str]] = set()
    for subject, targets in groups.items():
        if len(targets) > 1:
            duplicates.update((subject, t) for t in near_duplicates(targets))
    if duplicates:
        near = Reason.NEAR_DUPLICATE.value
        for i, e in enumerate(edges):
            if not flags[i] and (e.source_id, e.target_id) in duplicates:
                flags[i] = near
    return flags


def load_knowledge(store: GraphStore) -> tuple[GraphKnowledge, dict[RelType, list[EdgeRow]]]:
    """Descriptions and roles of every node, and the edges of the judged relationship types."""
    graph = GraphKnowledge()
    described = store.described_ids()
    for entry in store.name_index():
        graph.names[entry.id] = entry.name
        kind = _TYPE_KIND.get(entry.type)
        if kind is not None and entry.id in described:
            graph.described[entry.id] = kind
    judged: dict[RelType, list[EdgeRow]] = {}
    for rel in RelType:
        if rel not in _ROLES and rel not in RULES:
            continue
        edges = store.edge_rows(rel)
        subject_role, target_role = _ROLES.get(rel, (None, None))
        if subject_role is not None:
            for sid in {e.source_id for e in edges}:
                graph.roles[sid].add(subject_role)
        if target_role is not None:
            for tid in {e.target_id for e in edges}:
                graph.roles[tid].add(target_role)
        if rel in RULES:
            judged[rel] = edges
    return graph, judged


#: Drugs read per batch when their 禁忌 texts are checked.
CONTRA_BATCH = 2000


def contradicted(store: GraphStore, edges: list[EdgeRow], flags: list[str], graph: GraphKnowledge,
                 contraindicated: set[tuple[str, str]]) -> list[str]:
    """`flags` of the INDICATED_FOR edges with `contraindicated_self` added where the drug's own 禁忌
    text (or one of its CONTRAINDICATED edges) names the target."""
    subjects = sorted({e.source_id for e, f in zip(edges, flags, strict=True) if not f})
    texts: dict[str, str] = {}
    for i in range(0, len(subjects), CONTRA_BATCH):
        for ent in store.get_entities(subjects[i:i + CONTRA_BATCH]):
            parts = [v if isinstance(v, str) else "、".join(v) for k, v in ent.properties.items()
                     if k.startswith(CONTRA_PROPS)]
            if parts:
                texts[ent.id] = "\n".join(parts)
    out = list(flags)
    for i, e in enumerate(edges):
        if out[i]:
            continue
        if (e.source_id, e.target_id) in contraindicated or \
                contra_sentence(graph.names.get(e.target_id, ""), texts.get(e.source_id, "")):
            out[i] = Reason.CONTRA_SELF.value
    return out


def judge(store: GraphStore) -> list[JudgedEdges]:
    """Every judged edge of the graph with the flag the rules give it (reads only)."""
    graph, judged = load_knowledge(store)
    out = [JudgedEdges(rel, edges, compute_flags(rel, edges, graph)) for rel, edges in judged.items()]
    contra = {(e.source_id, e.target_id) for e in judged.get(RelType.CONTRAINDICATED, []) if not e.flag}
    for j in out:
        if j.relation == RelType.INDICATED_FOR:
            j.flags = contradicted(store, j.edges, j.flags, graph, contra)
    return out


def clean(store: GraphStore) -> CleanSummary:
    """Recompute every flag of the judged relationship types and store the ones that changed."""
    t0 = time.perf_counter()
    results = judge(store)
    changes = [Relation(e.source_id, r.relation, e.target_id, e.dataset, flag=flag)
               for r in results for e, flag in zip(r.edges, r.flags, strict=True) if flag != e.flag]
    if changes:
        store.set_flags(changes)
    flagged = {r.relation.value: dict(sorted(Counter(f for f in r.flags if f).items())) for r in results}
    return CleanSummary(judged=sum(len(r.edges) for r in results), changed=len(changes),
                        seconds=round(time.perf_counter() - t0, 3),
                        flagged={k: v for k, v in sorted(flagged.items()) if v})
