"""The candidate pool of a disease's drug list: its own edges, its synonym nodes' and, when thin, its parent's.

The four sources file one disease under several nodes: 甲减 (39health) beside 甲状腺功能减退症 (CMeKG,
xywy), 失眠 beside 失眠症, 发烧 beside 发热. Each node holds a part of the drugs, so the linked node
alone can be thin or odd (2型糖尿病 ties only 格列吡嗪 while 糖尿病 has the classes; 妊娠期尿路感染 has
none while 尿路感染 has hundreds). The pool is:

1. **The linked node's own drug edges** (TREATED_BY out, INDICATED_FOR in).
2. **Its synonym nodes'** (same meaning, always added): a node named by one of its aliases, a node
   listing its name as an alias (unless that node is a population or phase form of it: 老年甲状腺功能
   减退症 lists 甲减 as an alias but is its child), the same name with or without 症/病
   (失眠 ↔ 失眠症), and a few colloquial names (`COLLOQUIAL`: 发烧 → 发热).
3. **Its parent's** (the base disease), only when the pool so far holds fewer than `MIN_WESTERN`
   Western generics: the name without a population or phase word (小儿X → X, 妊娠期X → X,
   X急性发作 → X), the source's own 上位关系 edge (CMeKG), and `CURATED_PARENTS` (2型糖尿病 → 糖尿病;
   numbered subtypes only there: 1型糖尿病's base list is type 2's).

Every fact keeps the node it was read from (`Fact.entity_id`), so the ranked list knows which node tied
each drug (`RankedItem.entries`) and the answer can say that a drug is the parent's, never present it
as the child's. A parent hop that drops a population word (妊娠期, 小儿) carries that word
(`Pool.implied`): the parent's drugs must be judged for that population.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kg.normalize import normalize_name
from kg.schema import Direction, Entity, Fact, NameEntry, NodeType, RelType

if TYPE_CHECKING:
    from retrieval.evidence.salience import Generic

#: The relationships that tie a drug to a disease, read from the disease.
DRUG_EDGES: tuple[tuple[RelType, Direction], ...] = ((RelType.TREATED_BY, Direction.OUT),
                                                     (RelType.INDICATED_FOR, Direction.IN))
#: Fewer Western generics than this in the linked node and its synonyms: the parent is added.
MIN_WESTERN = 5
#: At most this many synonym and parent nodes are read per question.
MAX_NODES = 6
#: Colloquial name → the name the sources file the disease under (both directions are synonyms).
COLLOQUIAL: dict[str, str] = {"发烧": "发热", "拉肚子": "腹泻", "高血脂": "高脂血症", "睡不着": "失眠",
                              "胃疼": "胃痛", "嗓子疼": "咽痛"}
#: A base disease the names do not show and no source edge states. Numbered subtypes hop only here:
#: a base disease's list is mostly its commonest subtype's (糖尿病's is type 2's: 1型糖尿病 → 糖尿病 would
#: offer sulfonylureas), so 2型糖尿病 → 糖尿病 is listed and 1型 is not.
CURATED_PARENTS: dict[str, str] = {"失眠症": "睡眠障碍", "失眠": "睡眠障碍", "2型糖尿病": "糖尿病",
                                   "II型糖尿病": "糖尿病"}
#: Same-meaning suffixes: 失眠 and 失眠症 are one condition.
SAME_SUFFIXES = ("症", "病")
#: Population words before a disease name (the population's form of it: 小儿哮喘, 妊娠期高血压), each with
#: its `retrieval.safety.population.Population` key and the word the patient filter reads; longest first
#: within a population. The one table of population forms: the parent hop here and the population pool
#: (retrieval.safety.population_pool) both read it through `population_base`.
POPULATION_PREFIXES: dict[str, tuple[str, str]] = {
    "妊娠合并": ("pregnancy", "孕妇"), "妊娠期": ("pregnancy", "孕妇"), "妊娠": ("pregnancy", "孕妇"),
    "孕期": ("pregnancy", "孕妇"), "孕妇": ("pregnancy", "孕妇"),
    "哺乳期": ("lactation", "哺乳期"), "产后": ("lactation", ""),
    "新生儿": ("children", "新生儿"), "婴幼儿": ("children", "婴幼儿"), "小儿": ("children", "小儿"),
    "儿童": ("children", "儿童"), "婴儿": ("children", "婴儿"), "幼儿": ("children", "幼儿"),
    "老年人": ("elderly", "老年人"), "老年性": ("elderly", "老年人"), "老年": ("elderly", "老年人"),
}
#: A base disease name shorter than this is not read off a prefix (小儿热 → 热 is no disease).
MIN_BASE = 2
#: Prefixes one reader does not read (yet): the two tables this one replaced differed here, and
#: reading them changes answers (老年人高血压 would take 高血压's list: issue 22 kept every answer).
#: Without 老年人 / 妊娠合并 the parent hop reads 老年 / 妊娠 (老年人X → 人X, 妊娠合并肺炎 → 合并肺炎);
#: 幼儿 is no population form for the pool (幼儿急疹 is a disease of its own).
PARENT_UNREAD = frozenset({"老年人", "妊娠合并"})
POOL_UNREAD = frozenset({"幼儿"})
#: Phase words after a base name: 哮喘急性发作 → 哮喘.
PHASE_SUFFIXES = ("急性发作期", "急性发作", "急性加重期", "急性加重", "发作期", "发作")
PARENT_PREDICATE = "上位关系"
_CLINICAL = frozenset({NodeType.DISEASE.value, NodeType.SYMPTOM.value})


@dataclass(frozen=True, slots=True)
class PoolNode:
    """A node whose drug edges join the linked disease's pool."""

    id: str
    name: str
    kind: str  # synonym | parent
    implied: str = ""  # the population word a parent hop dropped (妊娠期尿路感染 → 尿路感染: 孕妇)


@dataclass(slots=True)
class Pool:
    """The facts of the linked node and of the nodes joined to it, each fact keeping its node."""

    facts: list[Fact]
    nodes: list[PoolNode] = field(default_factory=list)

    @property
    def implied(self) -> str:
        """Population words the parent hops dropped, for the patient filter."""
        return "".join(dict.fromkeys(n.implied for n in self.nodes if n.implied))

    def kind_of(self, node_id: str) -> str:
        return next((n.kind for n in self.nodes if n.id == node_id), "self")

    def name_of(self, node_id: str) -> str:
        return next((n.name for n in self.nodes if n.id == node_id), "")


@dataclass(frozen=True, slots=True)
class PopulationForm:
    """A disease name read as a population's form of a base disease: 小儿哮喘 = children + 哮喘."""

    base: str
    population: str  # retrieval.safety.population.Population key (children, pregnancy …)
    word: str  # the population word the patient filter reads ('' for 产后)


def population_base(name: str, populations: Iterable[str] = (),
                    unread: Container[str] = frozenset()) -> PopulationForm | None:
    """The base disease of a population form (妊娠期尿路感染 → 尿路感染, 小儿哮喘 → 哮喘), longest prefix
    first; None when the name is none. `populations` (Population keys) limits the prefixes read,
    `unread` drops some (PARENT_UNREAD, POOL_UNREAD)."""
    keys = set(populations)
    for prefix in sorted(POPULATION_PREFIXES, key=len, reverse=True):
        key, word = POPULATION_PREFIXES[prefix]
        if prefix in unread or (keys and key not in keys):
            continue
        if name.startswith(prefix) and len(name) - len(prefix) >= MIN_BASE:
            return PopulationForm(name[len(prefix):], key, word)
    return None


def base_names(name: str) -> list[tuple[str, str]]:
    """The base disease names a name is a form of, with the population word dropped:
    小儿哮喘 → [(哮喘, 小儿)], 哮喘急性发作 → [(哮喘, '')]."""
    out: list[tuple[str, str]] = []
    form = population_base(name, unread=PARENT_UNREAD)
    if form is not None:
        out.append((form.base, form.word))
    for suffix in PHASE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_BASE:
            out.append((name[: -len(suffix)], ""))
            break
    return out


def _shares(a: str, b: str) -> bool:
    """Two names share a character other than a generic suffix (甲减 / 甲状腺功能减退症: 甲, 减)."""
    return bool((set(a) & set(b)) - set("症病性"))


class DiseaseNames:
    """Disease and symptom nodes by normalized name and by alias (from `GraphStore.name_index`)."""

    def __init__(self, names: Iterable[NameEntry] = ()) -> None:
        self.by_name: dict[str, list[str]] = {}
        self.by_alias: dict[str, list[str]] = {}
        self.name_of: dict[str, str] = {}
        self.aliases_of: dict[str, list[str]] = {}
        for ident, typ, name, aliases in names:
            if typ not in _CLINICAL:
                continue
            self.name_of[ident] = name
            self.aliases_of[ident] = [normalize_name(a) for a in aliases if len(a) >= 2]
            self.by_name.setdefault(normalize_name(name), []).append(ident)
            for a in self.aliases_of[ident]:
                self.by_alias.setdefault(a, []).append(ident)

    def named(self, name: str) -> list[str]:
        return self.by_name.get(normalize_name(name), [])

    def _is_form_of(self, ident: str, keys: set[str]) -> bool:
        """The node is a population / subtype / phase form of one of `keys` (老年甲状腺功能减退症)."""
        return any(normalize_name(base) in keys for base, _ in base_names(self.name_of.get(ident, "")))

    def synonyms(self, entity: Entity) -> list[PoolNode]:
        """Nodes of the same condition under another name (see the module docstring). An alias link
        needs the two names to share a character: the sites' alias lists hold slips (失眠症 → 健忘)."""
        own = normalize_name(entity.name)
        # in written order (own name, then aliases): a set here made the pool's order, and the order of
        # the products a population note names, depend on PYTHONHASHSEED
        ordered = list(dict.fromkeys([own, *(normalize_name(a) for a in entity.aliases if len(a) >= 2)]))
        keys = set(ordered)
        by_alias = [i for key in ordered for i in self.by_name.get(key, [])]
        by_alias += [i for i in self.by_alias.get(own, []) if not self._is_form_of(i, keys)]
        found = [i for i in by_alias if _shares(own, normalize_name(self.name_of[i]))]
        for key in (*(normalize_name(n) for n in (COLLOQUIAL.get(own, ""),) if n),
                    *(k for k, v in COLLOQUIAL.items() if v == own)):
            found += self.by_name.get(key, [])
        for suffix in SAME_SUFFIXES:
            found += self.by_name.get(own + suffix, [])
            if own.endswith(suffix) and len(own) > len(suffix) + 1:
                found += self.by_name.get(own[: -len(suffix)], [])
        ids = [i for i in dict.fromkeys(found) if i != entity.id]
        return [PoolNode(i, self.name_of[i], "synonym") for i in ids]

    def parents(self, entity: Entity, stated: Sequence[Fact] = (), exclude: Iterable[str] = ()) -> list[PoolNode]:
        """Base diseases of the node (and of its same-meaning names), the source's 上位关系 edges,
        and the curated ones, nearest first."""
        skip = {entity.id, *exclude}
        out: list[PoolNode] = []
        names = [entity.name, *(a for a in entity.aliases if len(a) >= 2)]
        for name in names:
            for base, implied in base_names(normalize_name(name)):
                out += [PoolNode(i, self.name_of[i], "parent", implied) for i in self.named(base)]
        for name in names:
            parent = CURATED_PARENTS.get(normalize_name(name), "")
            out += [PoolNode(i, self.name_of[i], "parent") for i in self.named(parent)] if parent else []
        out += [PoolNode(f.target_id, f.target_name, "parent") for f in stated
                if f.predicate == PARENT_PREDICATE and f.direction == Direction.OUT and f.target_id in self.name_of]
        seen: set[str] = set()
        kept: list[PoolNode] = []
        for node in out:
            if node.id not in skip and node.id not in seen:
                seen.add(node.id)
                kept.append(node)
        return kept


def gather(entity: Entity, own: list[Fact], names: DiseaseNames, read: Callable[[str], list[Fact]],
           stated: Callable[[str], list[Fact]], western: Callable[[list[Fact]], int]) -> Pool:
    """The linked disease's drug facts united with its synonym nodes' and, when fewer than
    MIN_WESTERN Western generics result (`western` counts them), its parent's. `read(id)` gives a
    node's drug facts (DRUG_EDGES), `stated(id)` its RELATED_TO edges (the 上位关系 ones name parents)."""
    facts = list(own)
    nodes = names.synonyms(entity)[:MAX_NODES]
    for node in nodes:
        facts += read(node.id)
    if western(facts) < MIN_WESTERN:
        related = [f for n in (entity.id, *(n.id for n in nodes)) for f in stated(n)]
        for node in names.parents(entity, related, exclude=[n.id for n in nodes])[: MAX_NODES - len(nodes)]:
            more = read(node.id)
            if more:
                nodes.append(node)
                facts += more
    return Pool(facts, [n for n in nodes if any(f.entity_id == n.id for f in facts)])


def via_names(generics: list[Generic], pool: Pool | None) -> dict[str, str]:
    """Item name → the synonym or parent nodes whose edges alone tie it ('' when the asked node does)."""
    if pool is None or not pool.nodes:
        return {}
    out: dict[str, str] = {}
    for g in generics:
        for m in g.items:
            if m.nodes and all(pool.kind_of(n) != "self" for n in m.nodes):
                out[m.name] = "、".join(dict.fromkeys(pool.name_of(n) for n in sorted(m.nodes)))
    return out


def parent_clause(shown: list[Generic], pool: Pool | None) -> str:
    """'（含上位疾病X的药物）' when a shown drug is tied only by the parent disease's edges."""
    if pool is None:
        return ""
    parents = {n.id: n.name for n in pool.nodes if n.kind == "parent"}
    used = [parents[n] for g in shown for m in g.items for n in sorted(m.nodes)
            if n in parents and all(x in parents for x in m.nodes)]
    return f"（含上位疾病{'、'.join(dict.fromkeys(used))}的药物）" if used else ""
