"""Question templates and answer phrasing per (subject type, relationship) — QiZhen's recipe.

QiZhen built 740K of its instructions from its knowledge base with templates such as
"{药品}的适应病症是什么？"; this table is that recipe made explicit. A topic is either a
relationship (facts are other entities: listed with 、) or a property (long text kept verbatim).
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.errors import InvalidInput
from kg.schema import NodeType, RelType
from kg.topics import Topic as KeyTopic
from kg.topics import topic_keys


@dataclass(frozen=True, slots=True)
class Topic:
    """One thing you can ask about an entity; `key` names it in --relations and in evidence fields."""

    key: str
    label: str  # the Chinese field name shown in evidence, e.g. 适应症
    subject_types: tuple[NodeType, ...]
    questions: tuple[str, ...]  # each has a {name} placeholder
    answer: str  # "{name}…{items}…" for relationships, "{name}…{text}" for properties
    rel: RelType | None = None
    prop_keys: tuple[str, ...] = ()  # property names tried in order when `rel` is None

    @property
    def is_relation(self) -> bool:
        return self.rel is not None


_DRUG = (NodeType.DRUG,)
_DISEASE = (NodeType.DISEASE,)

TOPICS: tuple[Topic, ...] = (
    Topic("INDICATED_FOR", "适应症", _DRUG, (
        "{name}的适应病症是什么？", "{name}能治疗哪些疾病？", "{name}主要用于什么病？",
        "{name}的适应症有哪些？", "什么情况下可以使用{name}？", "{name}有什么作用，主治什么？",
    ), "{name}的适应症包括{items}。", rel=RelType.INDICATED_FOR),
    Topic("ADVERSE_REACTION", "不良反应", _DRUG, (
        "{name}有哪些不良反应？", "{name}的副作用是什么？", "服用{name}后可能出现哪些不良反应？",
        "使用{name}需要注意哪些副作用？",
    ), "{name}可能出现的不良反应有{items}。", rel=RelType.ADVERSE_REACTION),
    Topic("CONTRAINDICATED", "禁忌", _DRUG, (
        "{name}的禁忌是什么？", "哪些人不能使用{name}？", "{name}有哪些禁忌症？", "什么情况下禁用{name}？",
    ), "{name}的禁忌包括{items}。", rel=RelType.CONTRAINDICATED),
    Topic("INTERACTS_WITH", "相互作用", _DRUG, (
        "{name}与哪些药物有相互作用？", "{name}不宜与哪些药物同时使用？", "{name}的药物相互作用有哪些？",
    ), "{name}与{items}存在相互作用，合用时需谨慎。", rel=RelType.INTERACTS_WITH),
    Topic("用法用量", "用法用量", _DRUG, (
        "{name}怎么吃？", "{name}的用法用量是什么？", "{name}一次用多少，怎么服用？", "{name}应该如何使用？",
    ), "{name}的用法用量：{text}", prop_keys=topic_keys(KeyTopic.DOSE)),
    Topic("HAS_SYMPTOM", "症状", _DISEASE, (
        "{name}的典型症状是什么？", "{name}有哪些症状？", "{name}的临床表现有哪些？", "得了{name}会有什么表现？",
    ), "{name}的常见症状有{items}。", rel=RelType.HAS_SYMPTOM),
    Topic("NEEDS_CHECK", "检查", _DISEASE, (
        "{name}需要做哪些检查？", "怎么检查是否得了{name}？", "诊断{name}要做什么检查？", "{name}的检查项目有哪些？",
    ), "{name}常做的检查有{items}。", rel=RelType.NEEDS_CHECK),
    Topic("TREATED_BY", "治疗药物", _DISEASE, (
        "哪些药物能治疗{name}？", "{name}吃什么药？", "{name}的常用药物有哪些？", "治疗{name}可以用什么药？",
    ), "治疗{name}的常用药物有{items}。", rel=RelType.TREATED_BY),
    Topic("IN_DEPARTMENT", "就诊科室", _DISEASE, (
        "{name}应该挂什么科？", "{name}去哪个科室就诊？", "看{name}要挂哪个科？",
    ), "{name}一般在{items}就诊。", rel=RelType.IN_DEPARTMENT),
    Topic("HAS_CAUSE", "病因", _DISEASE, (
        "{name}的病因是什么？", "{name}是什么原因引起的？", "为什么会得{name}？", "{name}的常见病因有哪些？",
    ), "{name}的常见病因有{items}。", rel=RelType.HAS_CAUSE),
    Topic("病因", "病因", _DISEASE, (
        "{name}的病因是什么？", "{name}是什么原因引起的？", "为什么会得{name}？",
    ), "关于{name}的病因：{text}", prop_keys=topic_keys(KeyTopic.CAUSE)),
    Topic("预防", "预防", _DISEASE, (
        "{name}如何预防？", "怎样预防{name}？", "{name}的预防措施有哪些？",
    ), "预防{name}：{text}", prop_keys=topic_keys(KeyTopic.PREVENTION)),
    Topic("COMPLICATION", "并发症", _DISEASE, (
        "{name}有哪些并发症？", "{name}会引起什么并发症？", "{name}可能并发哪些疾病？",
    ), "{name}的常见并发症有{items}。", rel=RelType.COMPLICATION),
)

#: the subject types any topic asks about (entities of other types are skipped while streaming)
SUBJECT_TYPES: frozenset[NodeType] = frozenset(nt for t in TOPICS for nt in t.subject_types)


def select_topics(keys: list[str] | None) -> tuple[Topic, ...]:
    """Topics named by relationship type or property name (None → all); unknown names are an error."""
    if not keys:
        return TOPICS
    chosen: list[Topic] = []
    for key in keys:
        hits = [t for t in TOPICS if key in (t.key, t.label)]
        if not hits:
            valid = ", ".join(sorted({t.key for t in TOPICS}))
            raise InvalidInput(f"unknown relationship or property {key!r}; choose from {valid}")
        chosen.extend(h for h in hits if h not in chosen)
    return tuple(chosen)


def join_items(items: list[str]) -> str:
    """'痛风、高尿酸血症和肾结石' — the Chinese enumeration an answer reads best with."""
    if len(items) <= 1:
        return "".join(items)
    return "、".join(items[:-1]) + "和" + items[-1]
