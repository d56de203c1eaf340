"""Pure rendering helpers for the chat page (HTML/Markdown strings; no Streamlit calls, so testable).

Answer text comes from a generator, so it is HTML-escaped before entity links and [n] markers are
inserted; names and ids are escaped too.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

from app.api.schemas import EntityCardOut, FactGroup
from kg.schema import REL_LABELS
from models.types import Answer, EntityRef

RELATION_LABELS: dict[str, str] = {rel.value: label for rel, label in REL_LABELS.items()}
INCOMING_LABELS: dict[str, str] = {
    "INDICATED_FOR": "可用药物",
    "ADVERSE_REACTION": "可引起该反应的药物",
    "TREATED_BY": "可治疗的疾病",
    "HAS_SYMPTOM": "相关疾病",
    "NEEDS_CHECK": "相关疾病",
    "COMPLICATION": "原发疾病",
}
TYPE_LABELS: dict[str, str] = {
    "Drug": "药品", "Disease": "疾病", "Symptom": "症状", "Check": "检查", "Department": "科室",
    "Ingredient": "成份", "Food": "食物", "Category": "分类", "Cause": "病因", "Concept": "概念",
}
SUMMARY_KEYS = ("简介", "desc", "概述", "适应证")

CSS = """
<style>
.qz-answer { line-height: 1.8; }
.qz-answer a.qz-entity { color: #0b6bcb; text-decoration: none; border-bottom: 1px dashed #0b6bcb; }
.qz-answer sup.qz-cite { color: #8a5a00; font-size: 0.75em; cursor: help; }
</style>
"""

_MARKER = r"\[(\d{1,3})\]"


def relation_label(group: FactGroup) -> str:
    if group.direction == "in":
        return INCOMING_LABELS.get(group.relation, f"{RELATION_LABELS.get(group.relation, group.relation)}（反向）")
    return RELATION_LABELS.get(group.relation, group.relation)


def entity_href(entity_id: str, sid: str | None = None) -> str:
    params = {"sid": sid, "entity": entity_id} if sid else {"entity": entity_id}
    return "?" + urlencode(params)


def linkable_entities(answer: Answer) -> list[EntityRef]:
    """Entities to link in the text: those linked in the question, then every cited one (unique by id)."""
    seen: dict[str, EntityRef] = {}
    for e in answer.entities:
        seen.setdefault(e.id, e)
    for c in answer.citations:
        if c.entity_id and c.entity_id not in seen:
            seen[c.entity_id] = EntityRef(id=c.entity_id, name=c.entity, type=c.entity_type)
    return list(seen.values())


def learn_more(answer: Answer) -> list[EntityRef]:
    """The "了解更多" row: cited entities in citation order, then the other linked ones."""
    cited: dict[str, EntityRef] = {}
    for c in answer.citations:
        if c.entity_id and c.entity_id not in cited:
            cited[c.entity_id] = EntityRef(id=c.entity_id, name=c.entity, type=c.entity_type)
    for e in answer.entities:
        cited.setdefault(e.id, e)
    return list(cited.values())


def _cite_titles(answer: Answer) -> dict[int, str]:
    return {c.index: f"{c.entity}·{c.field}（{c.source}）：{c.text}" for c in answer.citations}


def markers_html(text: str, titles: dict[int, str] | None = None) -> str:
    """Escape `text` and turn [n] into superscript markers (for text still streaming)."""
    titles = titles or {}

    def sup(m: re.Match[str]) -> str:
        n = int(m.group(1))
        title = html.escape(titles.get(n, f"证据 {n}"), quote=True)
        return f'<sup class="qz-cite" title="{title}">[{n}]</sup>'

    return re.sub(_MARKER, sup, html.escape(text, quote=False))


def answer_html(answer: Answer, sid: str | None = None) -> str:
    """The answer text with entity mentions as card links and [n] as superscript citation markers."""
    titles = _cite_titles(answer)
    entities = [e for e in linkable_entities(answer) if e.name]
    by_name = {html.escape(e.name, quote=False): e for e in sorted(entities, key=lambda e: -len(e.name))}
    names = "|".join(re.escape(n) for n in by_name)
    pattern = re.compile(f"{_MARKER}|({names})" if names else _MARKER)
    linked: set[str] = set()

    def sub(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            n = int(m.group(1))
            title = html.escape(titles.get(n, f"证据 {n}"), quote=True)
            return f'<sup class="qz-cite" title="{title}">[{n}]</sup>'
        name = m.group(0)
        e = by_name[name]
        if e.id in linked:  # link the first mention only; the rest stay plain text
            return name
        linked.add(e.id)
        href = html.escape(entity_href(e.id, sid), quote=True)
        kind = html.escape(TYPE_LABELS.get(e.type, e.type), quote=True)
        return f'<a class="qz-entity" href="{href}" target="_self" title="{kind}：查看实体卡片">{name}</a>'

    body = pattern.sub(sub, html.escape(answer.answer, quote=False)).replace("\n", "<br>")
    return f'<div class="qz-answer">{body}</div>'


def citations_markdown(answer: Answer) -> str:
    lines = []
    for c in answer.citations:
        lines.append(f"{c.index}. **{_md(c.entity)}** · {_md(c.field)}：{_md(c.text)} <small>（来源：{_md(c.source)}）</small>")
    return "\n".join(lines)


def card_summary(card: EntityCardOut) -> str:
    for key in SUMMARY_KEYS:
        value = card.entity.properties.get(key)
        if value:
            return value if isinstance(value, str) else "；".join(value)
    return ""


def card_markdown(card: EntityCardOut, max_facts: int = 30) -> str:
    """Names, aliases, type, 简介, the grouped facts with their sources, then the other properties."""
    e = card.entity
    blocks = [f"### {_md(e.name)}", f"**类型**：{TYPE_LABELS.get(e.type, e.type)}"]
    if e.aliases:
        blocks.append(f"**别名**：{_md('、'.join(e.aliases))}")
    summary = card_summary(card)
    if summary:
        blocks.append(f"**简介**：{_md(summary)}")
    if e.sources:
        blocks.append(f"**来源**：{_md('、'.join(e.sources))}")
    for group in card.groups:
        items = [f"- {_md(f.target_name)} <small>（{_md('、'.join(f.datasets))}）</small>"
                 for f in group.facts[:max_facts]]
        if len(group.facts) > max_facts:
            items.append(f"- … 另有 {len(group.facts) - max_facts} 项")
        blocks.append(f"#### {relation_label(group)}\n" + "\n".join(items))
    extra = {k: v for k, v in e.properties.items() if k not in SUMMARY_KEYS and v}
    if extra:
        items = []
        for k, v in extra.items():
            text = v if isinstance(v, str) else "、".join(v)
            items.append(f"- **{_md(k)}**：{_md(text[:300])}{'…' if len(text) > 300 else ''}")
        blocks.append("#### 其他信息\n" + "\n".join(items))
    return "\n\n".join(blocks)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def _md(text: str) -> str:
    """Escape Markdown/HTML specials in data shown through st.markdown."""
    return _MD_SPECIAL.sub(r"\\\1", text)
