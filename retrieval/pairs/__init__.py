"""Questions about two drugs (or a drug and a drug class, or a class and 酒): interaction and comparison.

Interaction (X和Y能一起吃吗): the facts and prose sentences of each drug that name the other one —
its name, its ingredient, or its class (the graph's IN_CATEGORY categories and 药品类型, e.g.
抗血小板药 → "血小板") — come first, with the consequence the sentence states.
Comparison (X和Y有什么区别): for each drug the same rows — class, main indications, main adverse
reactions, contraindications — as evidence whose field is `对比·<row>`, so the generator writes
parallel cited sentences and the answer can carry a table.
Drug classes in questions (头孢, 他汀, 青霉素类) resolve by a prefix / suffix rule over the names of
described drugs: a 2–3 character stem shared by at least CLASS_MIN drugs is a class.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from kg.normalize import core_name
from kg.schema import Direction, Entity, Fact, NameEntry, NodeType, RelType
from kg.text import SENTENCE_BREAK
from kg.topics import Topic, topic_keys
from retrieval.evidence import property_datasets, prose_of
from retrieval.evidence.ranking import rank
from retrieval.pairs.class_terms import class_names_of
from retrieval.pairs.differences import clip, distinct_warnings
from retrieval.rendering import prose_sentences
from retrieval.types import Evidence

FactReader = Callable[[str, Sequence[RelType], Direction], list[Fact]]

#: Prose of a drug that can state an interaction or a warning about another drug or about alcohol.
INTERACTION_PROPS = topic_keys(Topic.INTERACTION, Topic.CAUTIONS, Topic.CONTRAINDICATION, Topic.ADVERSE)
CLASS_PROPS = topic_keys(Topic.DRUG_TYPE, Topic.CLASS_TEXT)
COMPARE_ROWS = ("分类", "用药注意", "主要适应症", "主要不良反应", "常用剂量", "禁忌", "妊娠/哺乳", "相互作用要点")
COMPARE_FIELD = "对比·"
#: Rows the comparison table shows that an answer's text folds (it leads with class, indications, reactions, 禁忌).
TABLE_ONLY_FIELDS = frozenset(f"对比·{r}" for r in ("常用剂量", "妊娠/哺乳", "相互作用要点"))
CLASS_MIN = 5
MAX_SENTENCES = 3
MAX_CLASS_MEMBERS = 3
MAX_CLASS_SCAN = 150  # members read to find those whose texts speak of the other thing
_SENT = SENTENCE_BREAK
_VERB = re.compile(r"^(?:喝|饮|吃|服|用|抽|吸)")
_CAT_SPLIT = re.compile(r"[，,、；;/及和与]")
#: Regulatory labels in 药品类型 / 分类 (医保, 处方药 …) say nothing about what the drug is.
REGULATORY = re.compile(r"医保|处方|OTC|基本药物|甲类|乙类|工伤|生育|国家|保险")
#: Prose words for a non-drug thing a question names with its stem (酒 → 乙醇, 双硫仑样反应).
SYNONYMS: dict[str, tuple[str, ...]] = {"酒": ("乙醇", "双硫仑", "酒精")}
_CAT_END = re.compile(r"(?:药物|药|类|剂|制剂)$")


def category_terms(categories: Iterable[str]) -> list[str]:
    """Words by which prose names a drug's class: 抗凝溶栓及抗血小板药 → 抗凝溶栓, 抗血小板, 血小板."""
    out: list[str] = []
    for cat in categories:
        for part in _CAT_SPLIT.split(cat):
            part = part.strip()
            if len(part) < 2 or part.startswith(("其它", "其他", "第")):
                continue
            core = _CAT_END.sub("", part)
            for t in (part, core, core[1:] if core.startswith("抗") and len(core) >= 4 else ""):
                if len(t) >= 2 and t not in out:
                    out.append(t)
    return out


def sentences_naming(entity: Entity, terms: Sequence[str], props: Sequence[str] = INTERACTION_PROPS,
                     skip: set[str] | None = None) -> list[Evidence]:
    """Per property, the sentences of the entity's prose that name one of `terms` (not in `skip`)."""
    out: list[Evidence] = []
    skip = set() if skip is None else skip
    for prop in props:
        value = entity.properties.get(prop)
        if not value:
            continue
        text = value if isinstance(value, str) else "。".join(value)
        hits = [s.strip() for s in _SENT.split(text) if any(t in s for t in terms)]
        hits = list(dict.fromkeys(h for h in hits if h and h not in skip))[:MAX_SENTENCES]
        skip.update(hits)
        if hits:
            datasets = property_datasets(entity, prop)
            out.append(Evidence(index=0, entity_id=entity.id, entity_name=entity.name, entity_type=entity.type.value,
                                field=prop, heading=f"{entity.name}的{prop}",
                                sentences=prose_sentences("".join(hits), datasets), datasets=datasets, origin="kg"))
    return out


def comparison_evidence(drugs: Sequence[Entity], read: FactReader,
                        described: Callable[[str], bool] | None = None,
                        prevalence: Mapping[str, int] | None = None,
                        class_labels: Callable[[str], list[str]] | None = None,
                        families: Sequence[Sequence[Entity]] | None = None) -> list[Evidence]:
    """Rows × drugs, row-major so the answer reads in parallel: the two classes first (the ATC class of
    `class_labels`, "二氢吡啶衍生物（ATC C08CA）", and the class-term table's), then what
    differs — each drug's indications and reactions the other lacks, the shared ones said once — then
    dose, contraindications, pregnancy/lactation and interactions where the graph has them; with
    `families` (each drug's same-generic entries) a `用药注意` row right after the classes gives the
    warning one side's labels state and the other's never name (retrieval.pairs.differences). A drug
    without any of these says so (`对比·说明`) instead of dropping out of the answer."""
    lists: dict[str, dict[str, list[str]]] = {}
    values: dict[str, dict[str, str]] = {}
    for d in drugs:
        facts = read(d.id, [RelType.IN_CATEGORY, RelType.INDICATED_FOR, RelType.ADVERSE_REACTION,
                            RelType.CONTRAINDICATED, RelType.INTERACTS_WITH], Direction.OUT)
        cats = [f.target_name for f in facts if f.relation == RelType.IN_CATEGORY and not f.flag]
        kind = d.properties.get("药品类型")
        kind_text = kind if isinstance(kind, str) else "、".join(kind or [])
        kinds = [k for k in re.split(r"[，,、]", _first_clause(kind_text)) if k and not REGULATORY.search(k)]
        # the clinical class name of the class-term table first, then the ATC label
        table = [*class_names_of(d.name)[:1], *(class_labels(d.id) if class_labels else [])[:1]]
        spelled: dict[str, str] = {}
        for c in [*table, *cats, *kinds]:  # β—受体阻滞剂 ~ β受体阻滞剂, 双胍类（ATC A10BA） ~ 双胍类
            spelled.setdefault(re.sub(r"（ATC[^）]*）|[-—–·\s]", "", c), c)
        cls = "、".join(list(spelled.values())[:max(2, len(table))])  # the graph's categories are noisy
        treats = rank([f for f in facts if f.relation == RelType.INDICATED_FOR],
                      prose=prose_of([d], ("适应证", "适应症", "功能主治")), family="treats", described=described)
        adr = rank([f for f in facts if f.relation == RelType.ADVERSE_REACTION],
                   prose=prose_of([d], ("不良反应",)), family=RelType.ADVERSE_REACTION.value, described=described,
                   prevalence=prevalence)
        contra = rank([f for f in facts if f.relation == RelType.CONTRAINDICATED], family="contra")
        inter = [f.target_name for f in facts if f.relation == RelType.INTERACTS_WITH and not f.flag]
        lists[d.id] = {"主要适应症": treats.names, "主要不良反应": adr.names}
        values[d.id] = {
            "分类": cls,
            "主要适应症": _first_clause(_prop(d, ("适应证", "适应症", "功能主治"))),
            "主要不良反应": _first_clause(_prop(d, ("不良反应",))),
            "常用剂量": _first_clause(_prop(d, ("用法用量", "用量")), 50),
            "禁忌": "、".join(contra.names[:3]) or _first_clause(_prop(d, ("禁忌证", "禁忌"))),
            "妊娠/哺乳": _sentence_with(d, PREGNANCY_PROPS, _PREGNANCY),
            "相互作用要点": "、".join(list(dict.fromkeys(inter))[:3]) or _first_clause(_prop(d, ("药物相互作用",)), 50),
        }
    for i, d in enumerate(drugs):  # the listed rows: what this drug has and the others lack
        for row, names in lists[d.id].items():
            others = {_key(n) for o in drugs if o.id != d.id for n in lists[o.id][row]}
            own = [n for n in names if _key(n) not in others][:4]
            shared = [n for n in names if _key(n) in others][:2]
            if own or shared:
                note = f"（二者均有：{'、'.join(shared)}）" if shared and (i == 0 or not own) else ""
                values[d.id][row] = "、".join(own) + note if own else f"与{drugs[1 - i].name if len(drugs) == 2 else '其他药品'}相同：{'、'.join(shared)}"
    for i, d in enumerate(drugs if families is not None and len(drugs) == 2 else ()):
        side, other = families[i] or [d], families[1 - i] or [drugs[1 - i]]
        for w in distinct_warnings(side, other):
            where = "" if w.entry.id == d.id else f"；见同成分{w.entry.name}的{w.field}"
            values[d.id]["用药注意"] = f"{clip(w.text)}（{drugs[1 - i].name}未见此项{where}）"
    out: list[Evidence] = []
    for row in COMPARE_ROWS:
        for d in drugs:
            value = values[d.id].get(row, "")
            if value:
                out.append(_cell(d, f"{COMPARE_FIELD}{row}", f"{d.name}的{row}", value))
    for d in drugs:
        if not any(e.entity_id == d.id for e in out):
            out.append(_cell(d, f"{COMPARE_FIELD}说明", d.name, "知识库中没有其分类、适应症、不良反应等可对比的信息"))
    return out


def _cell(d: Entity, field_name: str, heading: str, body: str) -> Evidence:
    return Evidence(index=0, entity_id=d.id, entity_name=d.name, entity_type=d.type.value, field=field_name,
                    heading=heading, sentences=prose_sentences(body, d.sources), datasets=list(d.sources), origin="kg")


def _key(name: str) -> str:
    """高血压病 ~ 高血压 when comparing two drugs' lists."""
    return name[:-1] if len(name) >= 3 and name[-1] in "病症" else name


PREGNANCY_PROPS = ("孕妇及哺乳期妇女用药", "注意事项", "禁忌证", "禁忌")
_PREGNANCY = re.compile(r"孕|妊娠|哺乳")


def _sentence_with(entity: Entity, keys: Sequence[str], pattern: re.Pattern[str], limit: int = 50) -> str:
    """The first sentence of the entity's texts that matches `pattern`, clipped."""
    for key in keys:
        for s in _SENT.split(_prop(entity, (key,))):
            s = s.strip().rstrip("。；; ")
            if len(re.sub(r"^[\d(（)）.、．]+", "", s)) >= 8 and pattern.search(s):
                return s if len(s) <= limit else s[:limit].rstrip("，、") + "…"
    return ""


def _prop(entity: Entity, keys: Sequence[str]) -> str:
    for k in keys:
        v = entity.properties.get(k)
        if v:
            return v if isinstance(v, str) else "、".join(v)
    return ""


def _first_clause(text: str, limit: int = 60) -> str:
    first = _SENT.split(text.strip())[0].rstrip("。；; ") if text else ""
    return first if len(first) <= limit else first[:limit].rstrip("，、") + "…"


class DescribedEntry(Protocol):
    @property
    def described(self) -> bool:
        """A source describes the entity (it has texts)."""
        ...


class EntryLookup(Protocol):
    """What ClassIndex reads from the linker (retrieval.linking.EntityLinker satisfies it)."""

    def entry(self, entity_id: str) -> DescribedEntry | None: ...


@dataclass
class ClassIndex:
    """Drug-class stems (头孢, 他汀 …) → described drugs whose core name starts or ends with them."""

    members: dict[str, list[tuple[str, str]]]  # stem → [(id, name)]
    names: set[str]

    @classmethod
    def build(cls, entries: Iterable[NameEntry], linker: EntryLookup | None = None) -> ClassIndex:
        """From the name index; with a linker, only drugs a source describes (they have texts)."""
        members: dict[str, list[tuple[str, str]]] = defaultdict(list)
        names: set[str] = set()
        for eid, etype, name, _ in entries:
            names.add(name)
            if etype != NodeType.DRUG.value:
                continue
            entry = linker.entry(eid) if linker is not None else None
            if linker is not None and not (entry and entry.described):
                continue
            core = core_name(name)
            if len(core) < 4:
                continue
            for stem in {core[:2], core[:3], core[-2:]}:
                members[stem].append((eid, name))
        return cls({k: v for k, v in members.items() if len(v) >= CLASS_MIN}, names)

    def find(self, question: str, skip: Sequence[tuple[int, int]] = ()) -> tuple[str, list[tuple[str, str]], int] | None:
        """The longest class stem in the question outside the linked drug mentions: (stem, members, position)."""
        best: tuple[str, list[tuple[str, str]], int] | None = None
        for size in (3, 2):
            for i in range(len(question) - size + 1):
                if any(s <= i < e or s < i + size <= e for s, e in skip):
                    continue
                stem = question[i:i + size]
                found = self.members.get(stem)
                if found and (best is None or len(stem) > len(best[0])):
                    best = (stem, found, i)
            if best:
                return best
        return None


_CONDITION_END = re.compile(r"(?:功能)?(?:不全|异常|衰竭|损害|损伤|障碍|不好|患者|病人|的人)$")


def condition_terms(name: str) -> list[str]:
    """How a drug's text names a condition: 肾功能不全 → 肾功能不全, 肾功能; 高血压 → 高血压."""
    core = _CONDITION_END.sub("", name)
    stem = core + "功能" if name.startswith(core + "功能") else core
    return list(dict.fromkeys(t for t in (name, stem) if len(t) >= 2))


def other_terms(mention: str) -> list[str]:
    """A non-drug mention as prose names it: 喝酒 → 喝酒, 酒."""
    bare = _VERB.sub("", mention)
    return list(dict.fromkeys(t for t in (mention, bare, *SYNONYMS.get(bare, ())) if t))
