"""Qualifiers: what a question says about the situation beside the entity it asks about.

`急性期怎么治疗`, `发作时用什么药`, `孩子咳嗽能用吗`: the phase (急性期, 发作), the population (孩子) and, in a
drug follow-up, the condition (咳嗽) refine the question about the inherited entity; they are never the
topic. The linker does not link a span that is only a qualifier word (the graph holds noisy mention
nodes named 急性 and 急性期), the retriever inherits the entity of the earlier turn and carries the
qualifiers as a typed `retrieval.types.Qualifiers`, so evidence planning (ranking, population filters,
the generators' prompts) can use them: an attack asks for relievers, a child for a child's dose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kg.normalize import normalize_name
from kg.schema import NodeType
from retrieval.intents import BY_NAME, IntentClassifier
from retrieval.types import LinkedEntity, Qualifiers

#: Surface word → phase of the illness the question asks about (longest words are matched first).
PHASES: dict[str, str] = {
    "急性发作": "attack", "发作期": "attack", "发作时": "attack", "发作的时候": "attack", "犯病": "attack",
    "发病时": "attack", "发作": "attack", "急救": "attack",
    "急性加重期": "attack", "急性加重": "attack", "急性期": "acute", "急性": "acute",
    "慢性期": "chronic", "慢性": "chronic",
    "缓解期": "maintenance", "稳定期": "maintenance", "恢复期": "maintenance", "维持治疗": "maintenance",
    "长期控制": "maintenance", "预防发作": "maintenance",
    "早期": "early", "初期": "early", "晚期": "late", "末期": "late",
}
#: Surface word → time of day the question asks about.
TIMES: dict[str, str] = {"夜间": "night", "夜里": "night", "晚上": "night", "半夜": "night", "睡前": "night",
                         "睡觉时": "night"}
#: Surface word → the patient asked about (the populations a drug label names).
POPULATIONS: dict[str, str] = {
    "孕妇": "pregnant", "怀孕": "pregnant", "妊娠": "pregnant", "孕期": "pregnant", "备孕": "pregnant",
    "哺乳": "lactating", "喂奶": "lactating", "母乳": "lactating", "乳母": "lactating",
    "新生儿": "infant", "婴幼儿": "infant", "婴儿": "infant",
    "儿童": "child", "小儿": "child", "孩子": "child", "小孩": "child", "宝宝": "child", "幼儿": "child",
    "老年人": "elderly", "老人": "elderly", "老年": "elderly", "高龄": "elderly",
    "肝功能不全": "hepatic", "肝功能不好": "hepatic", "肝不好": "hepatic", "肝病患者": "hepatic",
    "肾功能不全": "renal", "肾功能不好": "renal", "肾不好": "renal", "肾病患者": "renal",
    "过敏体质": "allergic",
}
#: Spans that are only a qualifier: the linker never answers with an entity of that name.
QUALIFIER_KEYS: frozenset[str] = frozenset(normalize_name(w) for w in (*PHASES, *TIMES))

_TABLES: tuple[tuple[str, dict[str, str]], ...] = (("phase", PHASES), ("time", TIMES),
                                                   ("population", POPULATIONS))
_CLINICAL = frozenset({NodeType.SYMPTOM.value, NodeType.DISEASE.value})


def find_qualifiers(question: str, entities: Iterable[LinkedEntity] = ()) -> Qualifiers:
    """The qualifiers written in `question` outside the names of its linked entities (急性胃炎 is a
    disease, not acute + 胃炎; 小儿感冒颗粒 is a product, not a child)."""
    text = question
    for e in entities:
        if e.mention and e.method != "history":
            text = text.replace(e.mention, "|")
    found: dict[str, str] = {}
    words: list[tuple[int, str]] = []
    for field, table in _TABLES:
        for word in sorted(table, key=len, reverse=True):
            pos = text.find(word)
            if pos < 0:
                continue
            text = text.replace(word, "|")  # a longer word owns its characters (急性发作 ⊃ 急性)
            words.append((pos, word))
            found.setdefault(field, table[word])
    return Qualifiers(**found, words=[w for _, w in sorted(words)])


def is_condition_follow_up(question: str, own: Sequence[LinkedEntity], classifier: IntentClassifier) -> bool:
    """A turn naming only symptoms or diseases and asking what only a drug answers (能用吗, 吃几次):
    the symptom is the condition of a question about the drug of the earlier turn, not a new topic.
    (`咳嗽吃什么药` asks about 咳嗽 itself: a disease or symptom answers it.)"""
    if not own or any(e.type not in _CLINICAL for e in own):
        return False
    names = {name for name, _, _ in classifier.rule_candidates(question)} - {"overview"}
    return bool(names) and all(BY_NAME[n].plan(NodeType.DRUG) is not None and
                               not any(BY_NAME[n].plan(NodeType(t)) for t in _CLINICAL) for n in names)


#: A phase that names its own disease entry: 胰腺炎 + 急性期 → 急性胰腺炎 (when the graph describes it).
#: An attack is not one: 支气管炎 + 急性发作 is an exacerbation, not 急性支气管炎.
PHASE_PREFIXES: dict[str, str] = {"acute": "急性", "chronic": "慢性"}


def phase_name(qualifiers: Qualifiers, disease: str) -> str:
    """The name of the phase's own disease entry to look for ("急性胰腺炎"), or ''."""
    prefix = PHASE_PREFIXES.get(qualifiers.phase, "")
    return f"{prefix}{disease}" if prefix and not disease.startswith(tuple(PHASE_PREFIXES.values())) else ""


def with_condition(qualifiers: Qualifiers, condition: LinkedEntity) -> Qualifiers:
    """The qualifiers plus the condition named in a drug follow-up."""
    return qualifiers.model_copy(update={"condition": condition.name, "condition_id": condition.id})
