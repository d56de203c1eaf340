"""The pair's own fact: what A's and B's label texts say about taking them together, verdict first.

A side is the asked entry and its *family* — the ingredient node and the described products of the same
generic (辛伐他汀 → 辛伐他汀片, 辛伐他汀滴丸 …; 氯沙坦 → 氯沙坦钾片), because a question names a generic and
the graph often holds the interaction on one product only. For each direction (A's texts about B, B's
about A) the search looks for B by name (entry, generic, ingredient, aliases), then by class (the
class-term table of retrieval.pairs.class_terms, then the graph's own categories): INTERACTS_WITH facts and
the sentences of 药物相互作用 / 注意事项 / 禁忌. Each sentence gets a verdict from its own words
(禁止/禁用/避免/不宜 → 避免合用; 慎用/谨慎/增加…风险 → 慎用; 监测/调整剂量 → 需监测; a listed fact without
a sentence → 有相互作用记载), the pair's verdict is the strongest one, and when nothing names the
other side the verdict is 未见记载 — said as "not recorded", never as "safe".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kg.normalize import core_name
from kg.schema import Direction, Entity, Fact, NodeType, RelType
from kg.text import SENTENCE_BREAK
from kg.topics import TOPIC_KEYS, Topic, topic_keys
from retrieval.evidence import property_datasets
from retrieval.evidence.graph_reader import GraphReader
from retrieval.pairs import CLASS_PROPS, REGULATORY, category_terms
from retrieval.pairs.class_terms import (
    BY_NAME as CLASS_BY_NAME,
)
from retrieval.pairs.class_terms import (
    CLASSES,
    absorption_pair,
    allergy_terms,
    class_names_of,
    class_text_terms,
    elements_of,
    generic_of,
    is_allergy_sentence,
)
from retrieval.rendering import prose_sentences
from retrieval.types import Evidence, LinkedEntity, LinkMethod, PairVerdict, Verdict

if TYPE_CHECKING:  # a type only: the linking room imports this module (the resolver's pair partner)
    from retrieval.linking import EntityLinker

FactReader = Callable[[str, Sequence[RelType], Direction], list[Fact]]
#: Entries read per side: the asked one, its ingredient node, products of the same generic (a generic
#: such as 布洛芬 has dozens of products, and one of them may hold the only listed interaction).
MAX_FAMILY = 20
#: Salts a generic's products carry in their core name (氯沙坦 → 氯沙坦钾片).
SALTS = ("钾", "钠", "钙", "镁")
TEXT_PROPS = topic_keys(Topic.INTERACTION, Topic.CAUTIONS, Topic.CONTRAINDICATION)
CONTRA_PROPS = TOPIC_KEYS[Topic.CONTRAINDICATION]
#: In 注意事项 / 禁忌 a class name is often an allergy or a population, not a combination:
#: there a class hit needs a word that speaks of taking both.
_COMBINE = re.compile(r"合用|同用|联用|并用|同服|合并使用|同时(?:服用|使用|应用|给药)|配伍|与.{0,30}(?:合|同|联|并)")
VERDICT_FIELD = "相互作用结论"
#: Evidence items after the verdict (the sentences and listed facts it rests on, strongest first).
MAX_ITEMS = 4
_SENT = SENTENCE_BREAK
_NEGATION = re.compile(r"(?:无需|无须|不需要?|不必|未见|尚无|没有)[^，。；,;]{0,8}")
#: Less absorbed when taken together (减少…吸收, 影响吸收, 螯合): an absorption interaction.
_LESS_ABSORBED = re.compile(r"(?:减少|降低|影响|妨碍|干扰|减弱|阻碍|减低)[^，。；]{0,14}吸收|吸收[^，。；]{0,4}(?:减少|降低|下降|受阻)|"
                            r"螯合|络合|形成沉淀|产生沉淀")
_RULES: tuple[tuple[Verdict, re.Pattern[str]], ...] = (
    (Verdict.SEPARATE, re.compile(r"间隔[^，。；]{0,8}(?:小时|h|服用|服)|分开服用|错开")),
    (Verdict.AVOID, re.compile(r"禁止|禁用|禁忌|避免|不宜|不应|不得|切勿|勿与|不可(?:与|同|合)|不能(?:与|同|合)")),
    (Verdict.CAUTION, re.compile(r"慎用|谨慎|小心|增加.{0,10}(?:风险|危险|毒性|出血|不良反应|副作用)|"
                                 r"(?:风险|危险|毒性|出血|不良反应|副作用)(?:增加|加重|增大)|加重|增强.{0,6}(?:毒|作用)")),
    (Verdict.SEPARATE, _LESS_ABSORBED),
    (Verdict.MONITOR, re.compile(r"监测|监护|密切观察|调整.{0,4}剂量|减量|减少.{0,4}剂量|减低.{0,4}剂量|测定")),
)
_STRENGTH = {Verdict.AVOID: 5, Verdict.SEPARATE: 4, Verdict.CAUTION: 3, Verdict.MONITOR: 2, Verdict.LISTED: 1, Verdict.NOT_FOUND: 0}
VERDICT_TEXT = {
    Verdict.AVOID: "避免合用",
    Verdict.SEPARATE: "间隔服用（同服会减少吸收，服药时间应错开，间隔多久以说明书或医嘱为准）",
    Verdict.CAUTION: "慎用（合用可能增加风险）",
    Verdict.MONITOR: "需监测（合用时需监测或调整剂量）",
    Verdict.LISTED: "需谨慎（说明书列为相互作用药物，未写明程度），合用前请咨询医生或药师",
    Verdict.NOT_FOUND: "未见记载（知识库中二者的说明书均未提到对方或其类别，这不等于可以放心合用，请咨询医生或药师）",
}


#: the verdict evidence's heading per kind; its body is "{verdict}。" and the sentences it rests on
HEADS = {"interaction": "{a}与{b}合用", "alcohol": "服用{a}期间饮酒", "allergy": "{b}者用{a}"}
KIND_TEXT = {
    "alcohol": {Verdict.AVOID: "避免饮酒", Verdict.SEPARATE: "错开服药与饮酒", Verdict.CAUTION: "慎重（饮酒可能增加风险）", Verdict.MONITOR: "需监测",
                Verdict.LISTED: "说明书提到饮酒的影响", Verdict.NOT_FOUND: "未见记载（知识库中的说明书未提到饮酒，"
                "这不等于可以饮酒，请咨询医生或药师）"},
    "allergy": {Verdict.AVOID: "禁用", Verdict.SEPARATE: "说明书提到这一过敏", Verdict.CAUTION: "慎用（可能交叉过敏）", Verdict.MONITOR: "需监测",
                Verdict.LISTED: "说明书提到这一过敏", Verdict.NOT_FOUND: "未见记载（知识库中的说明书未提到这一过敏，"
                "这不等于不会过敏，请咨询医生或药师）"},
}
#: A sentence about alcohol or an allergy says "don't" without naming a combination.
_LOOSE_AVOID = re.compile(r"不可|不能|勿|忌|戒酒")


def verdict_of(sentence: str, loose: bool = False) -> Verdict:
    """A sentence's own verdict; 无需调整剂量 and the like are read as saying nothing. `loose`: the
    sentence is about alcohol or an allergy, where 不可/不能/勿 already mean 避免."""
    text = _NEGATION.sub("", sentence)
    for verdict, rule in _RULES:
        if rule.search(text):
            return verdict
    if loose and _LOOSE_AVOID.search(text):
        return Verdict.AVOID
    return Verdict.LISTED


@dataclass
class Hit:
    """One place where a side's entry names the other side."""

    entity: Entity
    field: str
    text: str  # the sentence, or for a fact the listed name
    verdict: Verdict
    by_class: str = ""  # the class word that matched, "" for a match by name
    source_id: str = ""  # a fact read backwards: the entry whose list names this side
    source_name: str = ""


@dataclass
class PairFinding:
    """Both directions' hits for a pair and the verdict they add up to."""

    labels: tuple[str, str]
    subject: Entity
    hits: list[Hit] = field(default_factory=list)
    kind: str = "interaction"  # interaction | alcohol | allergy

    @property
    def verdict(self) -> Verdict:
        return max((h.verdict for h in self.hits), key=_STRENGTH.__getitem__, default=Verdict.NOT_FOUND)

    def evidence(self) -> list[Evidence]:
        """The verdict first, then the sentences it rests on (by name before by class), then listed facts."""
        a, b = self.labels
        verdict = self.verdict
        basis = [h for h in self.hits if h.verdict == verdict]
        where = "、".join(dict.fromkeys(f"{h.source_name or h.entity.name}的{_label(h.field)}" for h in basis[:2]))
        cls = next((h.by_class for h in basis if h.by_class), "")
        how = f"（按类别“{cls}”）" if cls and not any(not h.by_class for h in basis) else ""
        body = f"{KIND_TEXT.get(self.kind, VERDICT_TEXT)[verdict]}。" + (f"依据：{where}{how}。" if where else "")
        datasets = list(self.subject.sources)
        out = [Evidence(index=0, entity_id=self.subject.id, entity_name=self.subject.name,
                        entity_type=self.subject.type.value, field=VERDICT_FIELD,
                        heading=HEADS[self.kind].format(a=a, b=b),
                        sentences=prose_sentences(body, datasets), datasets=datasets, origin="kg")]
        ordered = sorted(self.hits, key=lambda h: (-_STRENGTH[h.verdict], bool(h.by_class),
                                                   h.field == "INTERACTS_WITH"))
        grouped: dict[tuple[str, str], list[Hit]] = {}
        for h in ordered:
            grouped.setdefault((h.source_id or h.entity.id, h.field), []).append(h)
        for hits in list(grouped.values())[:MAX_ITEMS]:
            h = hits[0]
            if h.field == "INTERACTS_WITH":
                name = h.source_name or h.entity.name
                out.append(Evidence(index=0, entity_id=h.source_id or h.entity.id, entity_name=name,
                                    entity_type=h.entity.type.value, field="INTERACTS_WITH",
                                    heading=f"{name}的药物相互作用列有", relation=RelType.INTERACTS_WITH,
                                    names=list(dict.fromkeys(x.text for x in hits)),
                                    datasets=["cmekg"], origin="kg"))
            else:
                said = "".join(dict.fromkeys(x.text for x in hits[:3]))
                datasets = property_datasets(h.entity, h.field)
                out.append(Evidence(index=0, entity_id=h.entity.id, entity_name=h.entity.name,
                                    entity_type=h.entity.type.value, field=h.field, heading=f"{h.entity.name}的{h.field}",
                                    sentences=prose_sentences(said, datasets), datasets=datasets, origin="kg"))
        return out

    def typed(self, evidence: list[Evidence]) -> PairVerdict:
        """The verdict with the indices of the evidence it rests on (after numbering)."""
        return PairVerdict(drugs=list(self.labels), verdict=self.verdict,
                           evidence=[e.index for e in evidence if e.field == VERDICT_FIELD or
                                     e.entity_id in {h.source_id or h.entity.id for h in self.hits}])


def _label(field_name: str) -> str:
    return "药物相互作用" if field_name == "INTERACTS_WITH" else field_name


def family_of(entity: Entity, linker: EntityLinker, graph: GraphReader) -> list[Entity]:
    """The asked entry, then its ingredient node(s), then described products of the same generic."""
    generic = generic_of(entity.name)
    ids: list[str] = [entity.id]
    for f in graph.facts(entity.id, [RelType.HAS_INGREDIENT], Direction.OUT):
        if generic_of(f.target_name) == generic:
            ids.append(f.target_id)
    for key in dict.fromkeys((entity.name, core_name(entity.name), generic, *(generic + s for s in SALTS))):
        ids += [e.id for e in linker.same_ingredient(key, limit=MAX_FAMILY)]
    return graph.entities(list(dict.fromkeys(ids))[:MAX_FAMILY])


def names_of(side: Sequence[Entity], mention: str) -> list[str]:
    """How texts name a side's drug: the question's word, entry names, generic and core names, aliases."""
    first = side[0] if side else None
    names = [mention, *(n for e in side for n in (e.name, core_name(e.name), generic_of(e.name)))]
    names += list(first.aliases) if first else []
    return [n for n in dict.fromkeys(names) if len(n) >= 2 and not n.isascii()]


def classes_of(side: Sequence[Entity], read: FactReader, names: Sequence[str],
               class_names: Callable[[str], list[str]] | None = None) -> list[str]:
    """Class words of a side: the class-term table's spellings and the graph's IN_CLASS names, then the
    graph's categories."""
    terms: list[str] = []
    for e in side[:1]:
        terms += class_text_terms(e.name)
    for e in side if class_names is not None else ():
        terms += class_names(e.id)
    cats: list[str] = []
    for e in side:
        cats += [f.target_name for f in read(e.id, [RelType.IN_CATEGORY], Direction.OUT) if not f.flag]
        for key in CLASS_PROPS:
            value = e.properties.get(key)
            if value:
                cats += [value] if isinstance(value, str) else list(value)
    # the graph's categories are noisy (痛风及高尿酸血症用药物 → 痛风): only whole parts named like a class
    terms += [t for t in category_terms(cats) if not REGULATORY.search(t) and _CLASS_NAME.search(t) and len(t) >= 4]
    return [t for t in dict.fromkeys(terms) if t not in names and len(t) >= 2]


_CLASS_NAME = re.compile(r"(?:药|药物|剂|类)$")


def _in_table(term: str) -> bool:
    return any(term in c.aliases for c in CLASSES)


def _matches(text: str, names: Sequence[str]) -> bool:
    return any(n in text for n in names)


def scan_texts(side: Sequence[Entity], names: Sequence[str], classes: Sequence[str], read: FactReader,
               seen: set[str], props: Sequence[str] = TEXT_PROPS, need: Callable[[str], bool] | None = None,
               loose: bool = False, absorb: bool = False, elements: Sequence[str] = ()) -> list[Hit]:
    """One direction: where the entries of `side` name the other drug or its class (`need`: a sentence
    must also pass it — an allergy sentence must speak of 过敏; `absorb`: the pair is an absorption
    interaction, so a listed fact or a sentence without a cue of its own means 间隔服用; `elements`: the
    metal the other side brings, matched when a label lists it alone — 钙, 镁)."""
    plain = Verdict.SEPARATE if absorb else Verdict.LISTED
    hits: list[Hit] = []
    table = {c for c in classes if _in_table(c) or (len(c) >= 4 and _CLASS_NAME.search(c))}
    for x in side:
        for f in read(x.id, [RelType.INTERACTS_WITH], Direction.BOTH) if need is None else []:
            target = f.target_name
            if f.flag or (len(target) < 2 and target not in elements):
                continue
            by_name = _matches(target, names) or generic_of(target) in names
            # a listed name matches a class only by the table's spellings (抗血小板药 → 血小板 would
            # also match 血小板减少症)
            cls = "" if by_name else next((c for c in classes if c in target and c in table), "")
            cls = cls or (target if target in elements else "")
            key = f"{min(x.id, f.target_id)}|{max(x.id, f.target_id)}"
            if (by_name or cls) and key not in seen:
                seen.add(key)
                backwards = f.direction == Direction.IN
                hits.append(Hit(x, "INTERACTS_WITH", x.name if backwards else target, plain, cls,
                                f.target_id if backwards else "", target if backwards else ""))
        for f in read(x.id, [RelType.CONTRAINDICATED], Direction.OUT) if need is not None else []:
            # an allergy is often a CONTRAINDICATED fact only (阿莫西林胶囊 → 青霉素过敏…患者禁用)
            if not f.flag and f.target_name not in seen and _matches(f.target_name, names) and need(f.target_name):
                seen.add(f.target_name)
                hits.append(Hit(x, "禁忌", f.target_name, Verdict.AVOID))
        for prop in props:
            value = x.properties.get(prop)
            if not value:
                continue
            text = value if isinstance(value, str) else "。".join(value)
            for s in (p.strip() for p in _SENT.split(text)):
                if not s or s in seen:
                    continue
                cls = "" if _matches(s, names) else next((c for c in classes if c in s), "")
                if cls and prop not in ("药物相互作用", "相互作用") and not _COMBINE.search(s):
                    continue
                if (cls or _matches(s, names)) and (need is None or need(s)):
                    seen.add(s)
                    # a 禁忌 sentence naming the other side is a contraindication whatever its words
                    verdict = Verdict.AVOID if prop in CONTRA_PROPS else verdict_of(s, loose)
                    verdict = plain if verdict == Verdict.LISTED else verdict
                    hits.append(Hit(x, prop, s, verdict, cls))
    return hits


def find_interaction(a: Sequence[Entity], b: Sequence[Entity], labels: tuple[str, str], read: FactReader,
                     class_names: Callable[[str], list[str]] | None = None) -> PairFinding:
    """Both directions of a pair, each side given as its family (asked entry first); `class_names`: the
    graph's IN_CLASS names of an entry (retrieval.pairs.drug_classes), read besides the class-term table."""
    names_a, names_b = names_of(a, labels[0]), names_of(b, labels[1])
    absorb = bool(a and b) and absorption_pair(a[0].name, b[0].name)
    seen: set[str] = set()
    hits = scan_texts(a, names_b, [], read, seen, absorb=absorb) + scan_texts(b, names_a, [], read, seen, absorb=absorb)
    hits += scan_texts(a, names_b, classes_of(b, read, names_b, class_names), read, seen, absorb=absorb,
                  elements=elements_of(b[0].name))
    hits += scan_texts(b, names_a, classes_of(a, read, names_a, class_names), read, seen, absorb=absorb,
                  elements=elements_of(a[0].name))
    return PairFinding(labels=labels, subject=a[0], hits=hits)


#: 同时 alone also reads "同时有高血压" (also has): only with a verb of taking.
_PAIR_CUE = re.compile(r"一起|同时(?:吃|服|用|使用|服用|应用)|合用|同服|同用|联用|并用|相互作用|配伍|一块(?:吃|用)|搭配|"
                       r"区别|哪个好|哪个更好|相比|比较")


def pair_follow_up(question: str) -> bool:
    """Does the question ask about two drugs together (能和Y一起吃吗) or side by side (和Y有什么区别)?"""
    return bool(_PAIR_CUE.search(question))


def pair_partner(question: str, own: Sequence[LinkedEntity], history: Sequence[str], linker: EntityLinker,
                 main_of: Callable[[list[LinkedEntity]], LinkedEntity | None],
                 max_turns: int = 8) -> LinkedEntity | None:
    """能和克拉霉素一起吃吗 after a turn about 辛伐他汀: the earlier turn's drug completes the pair (X, Y).
    Only when the question names exactly one drug and asks about taking two together."""
    drugs = {e.id for e in own if e.type == NodeType.DRUG and e.method != LinkMethod.HISTORY}
    if len(drugs) != 1 or not history or not pair_follow_up(question):
        return None
    for turn in list(reversed(history))[:max_turns]:
        earlier = linker.analyse(turn)
        if earlier.near_misses:
            return None
        found = main_of(earlier.entities)
        if found is not None:
            if found.type != NodeType.DRUG.value or found.id in drugs:
                return None
            return found.model_copy(update={"method": LinkMethod.HISTORY, "start": -1, "end": -1})
    return None


#: How label texts speak of alcohol (a lone 酒 would also match 酒石酸).
ALCOHOL_TERMS = ("饮酒", "喝酒", "酒精", "乙醇", "双硫仑", "含酒", "嗜酒", "酒类", "白酒", "啤酒", "酗酒")
_ALCOHOL_Q = re.compile(r"酒(?!石)")
_ALLERGY_Q = re.compile(r"(?:对)?([\u4e00-\u9fffβ-]{2,8}?)(?:类)?(?:过敏|变态反应)")
ALLERGY_PROPS = topic_keys(Topic.CONTRAINDICATION, Topic.CAUTIONS, Topic.ADVERSE)
_NOT_ALLERGEN = re.compile(r"会|引起|导致|出现|发生|吃|用|服|能|可以|后|时|了|是|什么|怎么|容易")


def other_of(question: str, mentions: Sequence[str]) -> str:
    """The non-drug side of a one-drug pair question: an allergy (青霉素过敏) or alcohol (酒), else ""."""
    rest = question
    for m in mentions:
        rest = rest.replace(m, "，") if m else rest
    found = _ALLERGY_Q.search(rest)
    allergen = re.sub(r"^.*对|^(?:我|有|患者|病人)", "", found.group(1)) if found else ""
    if len(allergen) >= 2 and not _NOT_ALLERGEN.search(allergen):  # 布洛芬会引起过敏吗 asks about a reaction
        return f"{allergen}过敏"
    return "酒" if _ALCOHOL_Q.search(rest) else ""


def other_finding(side: Sequence[Entity], label: str, other: str, read: FactReader,
                  peers: Callable[[str], list[Entity]] | None = None) -> PairFinding:
    """A drug against an allergy (its 禁忌 / 注意事项 sentences naming the allergen or its class and 过敏)
    or against alcohol (any sentence or listed interaction naming it). Cross-allergy is a class fact:
    when the drug's own family says nothing, `peers(name)` (drugs of name's class) are read — first the
    drug's own class naming the allergen, then the allergen's class naming the drug's class (a
    cephalosporin's "对青霉素过敏者慎用" also answers 头孢过敏能用阿莫西林吗, as 慎用 at most)."""
    seen: set[str] = set()
    if not other.endswith("过敏"):
        hits = scan_texts(side, ALCOHOL_TERMS, [], read, seen, loose=True)
        return PairFinding(labels=(label, "酒"), subject=side[0], hits=hits, kind="alcohol")
    terms = allergy_terms(other)
    hits = scan_texts(side, terms, [], read, seen, ALLERGY_PROPS, is_allergy_sentence, loose=True)
    if not hits and peers is not None:
        hits = _class_hits(peers(side[0].name), side[0].name, terms, read, seen)
    if not hits and peers is not None:
        allergen = other.removesuffix("过敏")
        back = _class_hits(peers(allergen), allergen, allergy_terms(f"{side[0].name}过敏"), read, seen)
        for h in back:
            h.verdict = min(h.verdict, Verdict.CAUTION, key=_STRENGTH.__getitem__)
        hits = back
    return PairFinding(labels=(label, other), subject=side[0], hits=hits, kind="allergy")


def _class_hits(entities: Sequence[Entity], name: str, terms: Sequence[str], read: FactReader,
                seen: set[str]) -> list[Hit]:
    cls = next(iter(class_names_of(name)), "同类药物")
    hits = scan_texts(entities, terms, [], read, seen, ALLERGY_PROPS, is_allergy_sentence, loose=True)[:2]
    for h in hits:
        h.by_class = cls
    return hits


COMBINATION = re.compile(r"复方|舒巴坦|他唑巴坦|克拉维酸|/")
#: Same-class drugs read for a class fact (cross-allergy) when the asked drug's family has none.
MAX_PEERS = 40


def class_peers(name: str, members: Callable[[str], Sequence[tuple[str, str]]]) -> list[str]:
    """Ids of described drugs sharing a drug's class stem (头孢克洛 → 头孢…, 阿莫西林 → …西林), when the
    class-term table knows its class; `members(stem)` is the retriever's ClassIndex lookup."""
    generic = generic_of(name)
    classes = [CLASS_BY_NAME[c] for c in class_names_of(name) if c in CLASS_BY_NAME]
    if not classes or len(generic) < 2:
        return []
    stems = [e for c in classes for e in c.endings if generic.endswith(e)]
    for stem in (*stems, generic[:2], generic[-2:]):
        found = members(stem)
        if found:  # single-ingredient peers: a combination's 禁忌 speaks of its other ingredient too
            return [eid for eid, peer in found if not COMBINATION.search(peer)][:MAX_PEERS]
    return []
