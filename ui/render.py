"""Pure rendering helpers for the chat page (HTML/Markdown strings; no Streamlit calls, so testable).

Answer text comes from a generator, so it is HTML-escaped before entity links and [n] markers are
inserted; names, ids and evidence text are escaped too. Links and markers are plain elements with
`data-entity` / `data-cite` / `data-feedback` attributes: ui/components.py turns clicks on them into
Streamlit events (no page load). Labels come from the project's one vocabulary,
kg.vocabulary (types, relationships both ways, datasets).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from app.card_trust import CONFLICT, LOW_TRUST, MISSING_DRUG, dominant, flag_words, support_label
from app.cards import CARD_TOP_ITEMS, CardItem, CardSection, EntityCardOut, SourcedValue, SummaryRow
from app.feedback import FactRef
from kg.text import split_sentences
from kg.vocabulary import TRUNCATED_SUFFIX, TYPE_LABELS
from kg.vocabulary import field_label as vocabulary_field_label
from kg.vocabulary import source_label as dataset_label
from models.types import Answer, Citation, EntityRef
from retrieval.intents import BY_NAME
from retrieval.pairs import COMPARE_FIELD

_MARKER = re.compile(r"\[(\d{1,3})\]")
#: prose longer than this is folded after its first sentences
FOLD_CHARS = 120
#: an evidence list longer than this shows its first items, the rest under 展开
EVIDENCE_ITEMS = 20
#: developer words that reach the screen through evidence texts, and the clinician's words for them
PLAIN_WORDS: tuple[tuple[str, str], ...] = (
    ("低置信度条目", "来源可信度低的条目"), ("低置信度", "来源可信度低"), ("（原文名称不全）", "…"),
    ("对比·", "两药比较："), ("具体诊疗请遵医嘱", "请结合临床判断"),
)
#: a name is linked only as a word of its own: not 感冒 inside 抗感冒药
_WORD_BEFORE = frozenset("抗治防")
_WORD_AFTER = frozenset("药剂类")


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def plain(text: str) -> str:
    """Evidence and answer text in a clinician's words (see PLAIN_WORDS)."""
    for old, new in PLAIN_WORDS:
        text = text.replace(old, new)
    return text


def field_label(field: str, entity: str) -> str:
    """A citation's field in Chinese (kg.vocabulary.field_label): 适应症, 可用于治疗痛风的药物, 两药比较：分类,
    or the property's own name (a cut-off list key without its note: its citation text says it)."""
    if field.startswith(COMPARE_FIELD):
        return "两药比较：" + field.removeprefix(COMPARE_FIELD)
    return vocabulary_field_label(field.removesuffix(TRUNCATED_SUFFIX), entity)


def sources_text(datasets: Sequence[str]) -> str:
    return "、".join(dataset_label(s) for s in datasets if s)


def citation_title(c: Citation) -> str:
    return f"{c.entity} · {field_label(c.field, c.entity)}"


def evidence_items(c: Citation) -> list[str]:
    """The names a cited list shows ('X的适应症：痛风、高尿酸血症等12项' → 痛风, 高尿酸血症); [] for prose."""
    return [n for n in (s.strip() for s in c.items) if 0 < len(n) <= 40]


def link_candidates(answer: Answer) -> list[str]:
    """Names worth resolving to graph entities: cited entities and cited list items the answer names."""
    names: list[str] = [e.name for e in answer.entities]
    for c in answer.citations:
        names.append(c.entity)
        names.extend(n for n in evidence_items(c) if n in answer.answer)
    if answer.comparison:
        names.extend(e.name for e in answer.comparison.entities)
    return list(dict.fromkeys(n for n in names if n))


def known_refs(answer: Answer, resolved: Iterable[EntityRef] = ()) -> list[EntityRef]:
    """Every entity the answer can link: linked ones, cited ones, comparison ones, then resolved names."""
    out: dict[str, EntityRef] = {}
    for e in answer.entities:
        out.setdefault(e.name, e)
    for c in answer.citations:
        if c.entity_id:
            out.setdefault(c.entity, EntityRef(id=c.entity_id, name=c.entity, type=c.entity_type))
    if answer.comparison:
        for e in answer.comparison.entities:
            out.setdefault(e.name, e)
    for r in resolved:
        out.setdefault(r.name, r)
    return list(out.values())


def learn_more(answer: Answer, refs: Sequence[EntityRef] = ()) -> list[EntityRef]:
    """The "了解更多" row: every cited entity once, ranked by how many citations name it, then by first
    appearance in the answer; the question's own entities first."""
    if not answer.grounded:
        return []
    refs = known_refs(answer, refs)
    text = answer.answer
    own = {e.id for e in answer.entities}

    def cited(ref: EntityRef) -> int:
        return sum(1 for c in answer.citations if c.entity_id == ref.id or ref.name in evidence_items(c))

    ranked = [r for r in refs if r.id in own or cited(r)]
    pos = {r.id: (text.find(r.name) if r.name in text else len(text)) for r in ranked}
    ranked.sort(key=lambda r: (r.id not in own, -cited(r), pos[r.id], r.name))
    return list({r.id: r for r in ranked}.values())


def _marker(n: int) -> str:
    return f'<span class="qz-cite" data-cite="{n}" role="button" tabindex="0" title="查看证据 {n}">[{n}]</span>'


def markers_html(text: str) -> str:
    """Escape `text` and turn [n] into citation markers (for text still streaming)."""
    return _MARKER.sub(lambda m: _marker(int(m.group(1))), html.escape(text, quote=False))


def entity_link(ref: EntityRef, label: str | None = None) -> str:
    kind = esc(TYPE_LABELS.get(ref.type, ref.type))
    return (f'<a class="qz-entity" href="#" data-entity="{esc(ref.id)}" title="查看{kind}信息">'
            f"{esc(label or ref.name)}</a>")


def linked_text(text: str, refs: Sequence[EntityRef], cites: set[int]) -> str:
    """Escaped text with each entity's first mention linked and valid [n] as markers."""
    by_name = {html.escape(r.name, quote=False): r for r in sorted(refs, key=lambda r: -len(r.name)) if r.name}
    escaped = html.escape(plain(text), quote=False)
    names = "|".join(re.escape(n) for n in by_name)
    pattern = re.compile(f"{_MARKER.pattern}|({names})" if names else _MARKER.pattern)
    linked: set[str] = set()

    def sub(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            n = int(m.group(1))
            return _marker(n) if n in cites else m.group(0)
        ref = by_name[m.group(0)]
        before = escaped[m.start() - 1] if m.start() else ""
        after = escaped[m.end()] if m.end() < len(escaped) else ""
        if ref.id in linked or before in _WORD_BEFORE or after in _WORD_AFTER:
            return m.group(0)
        linked.add(ref.id)
        return entity_link(ref, html.unescape(m.group(0)))

    return pattern.sub(sub, escaped).replace("\n", "<br>")


def _evidence_body(c: Citation, refs: Sequence[EntityRef]) -> str:
    ref = next((r for r in refs if r.id == c.entity_id), None) if c.entity_id else None
    card = f'<div class="qz-pop-link">{entity_link(ref, f"查看「{c.entity}」的详细信息")}</div>' if ref else ""
    names = evidence_items(c)
    items = [r for r in refs if r.name in names]
    text = linked_text(c.text, items, set())
    if len(names) > EVIDENCE_ITEMS:  # a long list: the first items, the rest on demand
        head = c.heading
        shown, rest = names[:EVIDENCE_ITEMS], names[EVIDENCE_ITEMS:]
        text = (f"{esc(plain(head))}（共 {len(names)} 项）：{linked_text('、'.join(shown), items, set())}"
                f'<details class="qz-more"><summary>展开其余 {len(rest)} 项</summary>'
                f"{linked_text('、'.join(rest), items, set())}</details>")
    datasets = c.datasets
    return (f'<div class="qz-ev-head"><b>[{c.index}] {esc(citation_title(c))}</b>'
            f'{_support(support_label(datasets), datasets)}</div>'
            f'<div class="qz-ev-text">{text}</div>{card}')


def comparison_html(answer: Answer, refs: Sequence[EntityRef], cites: set[int]) -> str:
    comp = answer.comparison
    if comp is None or not comp.entities:
        return ""
    head = "".join(f"<th>{entity_link(e)}</th>" for e in comp.entities)
    rows = []
    for row in comp.rows:
        cells = []
        for i, cell in enumerate(row.cells):
            marks = "".join(_marker(n) for n in (row.citations[i] if i < len(row.citations) else []) if n in cites)
            cells.append(f"<td>{linked_text(cell, refs, set()) or '<span class=qz-none>未收录</span>'}{marks}</td>")
        rows.append(f"<tr><th>{esc(row.label)}</th>{''.join(cells)}</tr>")
    return f'<table class="qz-compare"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def answer_html(answer: Answer, resolved: Sequence[EntityRef] = ()) -> str:
    """The answer: linked entities, [n] markers that open their evidence in place, a comparison table
    when there is one, and the numbered evidence list with the same labels."""
    refs = known_refs(answer, resolved)
    cites = {c.index for c in answer.citations}
    body = linked_text(answer.answer, refs, cites)
    pops = "".join(f'<div class="qz-pop" data-pop="{c.index}" hidden>'
                   f'<span class="qz-pop-close" role="button" title="关闭">×</span>{_evidence_body(c, refs)}</div>'
                   for c in answer.citations)
    evidence = ""
    if answer.citations:
        items = "".join(f'<li class="qz-ev" data-ev="{c.index}">{_evidence_body(c, refs)}</li>' for c in answer.citations)
        evidence = (f'<details class="qz-evidence"><summary>证据（{len(answer.citations)} 条）</summary>'
                    f"<ol>{items}</ol></details>")
    return (f'<div class="qz-answer"><div class="qz-text">{body}</div>{comparison_html(answer, refs, cites)}'
            f"{pops}{evidence}</div>")


# -- the entity card ---------------------------------------------------------------------------

def _support(label: str, datasets: Iterable[str] = ()) -> str:
    """One compact badge of how a fact is supported; the sources' names in its tooltip."""
    if not label:
        return ""
    names = "、".join(dataset_label(d) for d in datasets)
    title = f' title="来源：{esc(names)}"' if names else ""
    return f'<span class="qz-badge qz-src" data-support="{esc(label)}"{title}>{esc(label)}</span>'


def fold_prose(text: str) -> str:
    """The first sentences of a long text, the rest folded under 展开全文."""
    if len(text) <= FOLD_CHARS:
        return esc(text).replace("\n", "<br>")
    head, rest = "", text
    for part in split_sentences(text):
        if head and len(head) + len(part) > FOLD_CHARS:
            break
        head += part
    head = head if head and len(head) <= FOLD_CHARS * 2 else text[:FOLD_CHARS]
    rest = text[len(head):]
    return (f'{esc(head).replace(chr(10), "<br>")}<details class="qz-fold"><summary>展开全文</summary>'
            f'{esc(rest).replace(chr(10), "<br>")}</details>')


def _missing(text: str = MISSING_DRUG) -> str:
    return f'<span class="qz-missing">{esc(text)}</span>'


def _values_html(row: SummaryRow, missing: str = MISSING_DRUG) -> str:
    if not row.values:
        return _missing(missing)
    if row.disagree:  # each value with its source, so a clinician sees the disagreement
        values = "".join(f'<div class="qz-variant">{fold_prose(v.text)}{_support(v.support, v.sources)}'
                         f'<span class="qz-srcname">（{esc(sources_text(v.sources))}）</span></div>'
                         for v in row.values)
        return f'<span class="qz-badge qz-conflict">{CONFLICT}</span>{values}'
    label = dominant(v.support for v in row.values)
    if all(v.support == label for v in row.values):
        datasets = dict.fromkeys(d for v in row.values for d in v.sources)
        return "、".join(fold_prose(v.text) for v in row.values) + _support(label, datasets)
    return "、".join(fold_prose(v.text) + _support(v.support, v.sources) for v in row.values)


def _feedback_attr(section: CardSection, item: CardItem, rating: str) -> str:
    """Compact: 'rating|section key|item id or name' (card_item_fact turns it back into the fact)."""
    return esc(f"{rating}|{section.key}|{item.id or item.name}")


def card_item_fact(card: EntityCardOut, raw: str) -> tuple[str, FactRef] | None:
    """The rating and the fact a card item's feedback click is about (None for a stale/unknown one)."""
    rating, _, rest = raw.partition("|")
    key, _, ref = rest.partition("|")
    if rating not in ("up", "down", "wrong_fact"):
        return None
    for section in card.sections:
        if section.key != key:
            continue
        for item in [*section.items, *section.low_confidence]:
            if (item.id or item.name) == ref:
                return rating, FactRef(key=f"{card.entity.id}:{section.key}:{ref}", entity_id=card.entity.id,
                                       entity=card.entity.name, field=section.title,
                                       text=f"{card.entity.name}的{section.title}：{item.name}",
                                       source=",".join(item.datasets))
    return None


def _item_html(card: EntityCardOut, section: CardSection, item: CardItem) -> str:
    name = entity_link(EntityRef(id=item.id, name=item.name, type=item.type)) if item.id else esc(item.name)
    reason = f'<span class="qz-flag">{esc(flag_words(item.flag))}</span>' if item.flag else ""
    badge = _support(item.support, item.datasets) if item.support != section.support else ""
    fb = (f'<span class="qz-fb" role="button" data-feedback="{_feedback_attr(section, item, "wrong_fact")}" '
          'title="这一条有误？报告给维护人员">纠错</span>')
    return f'<li class="qz-item">{name}{badge}{reason}<span class="qz-fbs">{fb}</span></li>'


def section_html(card: EntityCardOut, section: CardSection, missing: str = MISSING_DRUG) -> str:
    count = f' <span class="qz-count">{section.total} 项</span>' if section.total else ""
    if section.key == "adverse_reaction" and section.total > 1:
        count += '<span class="qz-count">（常见在前）</span>'  # ranked as answers are: common reactions first
    parts = [f'<h4><span class="qz-title">{esc(section.title)}</span>{count}{_support(section.support)}</h4>']
    if section.items:
        top, rest = section.items[:CARD_TOP_ITEMS], section.items[CARD_TOP_ITEMS:]
        parts.append('<ul class="qz-items">' + "".join(_item_html(card, section, i) for i in top) + "</ul>")
        if rest:
            capped = f'<p class="qz-none">（仅列出前 {len(section.items)} 项）</p>' \
                if section.total > len(section.items) else ""
            parts.append(f'<details class="qz-all"><summary>展开全部 {section.total} 项</summary><ul class="qz-items">'
                         + "".join(_item_html(card, section, i) for i in rest) + f"</ul>{capped}</details>")
    for v in section.texts:
        badge = _support(v.support, v.sources) if v.support != section.support else ""
        parts.append(f'<div class="qz-prose">{fold_prose(v.text)}{badge}</div>')
    if section.parts:
        rows = "".join(f"<tr><th>{esc(r.label)}</th><td>{_values_html(r, missing)}</td></tr>" for r in section.parts)
        parts.append(f'<table class="qz-summary qz-parts">{rows}</table>')
    elif section.empty_text:
        parts.append(f'<p class="qz-prose">{_missing(section.empty_text)}</p>')
    if section.low_confidence:
        low = "".join(_item_html(card, section, i) for i in section.low_confidence)
        parts.append(f'<details class="qz-low"><summary>{LOW_TRUST}（{len(section.low_confidence)} 项）</summary>'
                     f'<ul class="qz-items">{low}</ul></details>')
    return f'<section class="qz-sec" data-key="{esc(section.key)}">{"".join(parts)}</section>'


def card_html(card: EntityCardOut) -> str:
    """The monograph: header, summary table, the fixed sections in clinical order, other properties."""
    e = card.entity
    missing = MISSING_DRUG if e.type == "Drug" else "知识库未收录，请结合临床资料判断"
    head = (f'<div class="qz-head"><span class="qz-heading">{esc(card.heading or card.type_label)}</span>'
            f'<span class="qz-name">{esc(e.name)}</span>'
            f'<span class="qz-badge qz-type">{esc(card.type_label)}</span>'
            f'<span class="qz-srcname">来源：{esc("、".join(card.source_labels))}</span></div>')
    rows = "".join(f"<tr><th>{esc(r.label)}</th><td>{_values_html(r, missing)}</td></tr>" for r in card.summary)
    summary = f'<table class="qz-summary">{rows}</table>' if rows else ""
    sections = "".join(section_html(card, s, missing) for s in card.sections)
    more = ""
    if card.more:
        rows = "".join(f"<tr><th>{esc(r.label)}</th><td>{_values_html(r, missing)}</td></tr>" for r in card.more)
        more = f'<details class="qz-moreinfo"><summary>更多信息（{len(card.more)} 项）</summary><table class="qz-summary">{rows}</table></details>'
    return f'<div class="qz-card">{head}{summary}{sections}{more}</div>'


# -- export and errors -------------------------------------------------------------------------

def export_markdown(turns: Sequence[tuple[str, Answer | None]], now: datetime | None = None) -> str:
    """The conversation as Markdown; each answer's [n] resolved to its evidence text below it."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    lines = [f"# 启真医学问答 · 对话记录（{stamp}）", "",
             "> 本记录根据医学知识图谱生成，仅供医务人员参考，不能替代医生的诊断与处方。", ""]
    for question, answer in turns:
        if answer is None:
            lines += [f"## 问：{question}", ""]
            continue
        lines += [f"**答：** {answer.answer}", ""]
        if answer.comparison and answer.comparison.entities:
            lines.append("| | " + " | ".join(e.name for e in answer.comparison.entities) + " |")
            lines.append("|---" * (len(answer.comparison.entities) + 1) + "|")
            lines += [f"| {r.label} | " + " | ".join(c.replace("|", "/") or "未收录" for c in r.cells) + " |"
                      for r in answer.comparison.rows]
            lines.append("")
        for c in answer.citations:
            lines.append(f"[{c.index}] {citation_title(c)}（来源：{sources_text(c.datasets)}）：{c.text}")
        if answer.citations:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


#: Chinese text for the API's machine-readable error codes (used when its message is not Chinese).
ERROR_TEXTS: dict[str, str] = {
    "question_too_long": "问题太长：最多 {limit} 个字，当前 {n} 个字。请精简后再提问。",
    "history_too_long": "对话过长，请点击“新对话”后重新提问。",
    "invalid_request": "请求无效，请检查问题内容后重试。",
    "unauthorized": "问答服务拒绝了访问（密钥无效），请联系管理员。",
    "graph_unavailable": "知识图谱暂时无法访问，请稍后重试。",
    "generator_unavailable": "回答生成服务暂时不可用，请稍后重试。",
    "starting": "问答服务正在启动，请稍后重试。",
    "unreachable": "无法连接问答服务，请稍后重试或联系管理员。",
    "rate_limited": "请求过于频繁，请稍后再试。",
    "timeout": "回答超时，请稍后重试或换一种问法。",
    "internal_error": "问答服务内部出错，请稍后重试。",
    "entity_not_found": "知识图谱中没有这个实体。",
}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def error_text(code: str, message: str, *, limit: int = 0, n: int = 0) -> str:
    """A clinician-facing Chinese message: the service's own when it is Chinese, else ours for the code."""
    if message and _CJK.search(message):
        return message
    template = ERROR_TEXTS.get(code, "出错了，请稍后重试。")
    return template.format(limit=limit or "规定", n=n or "过多")


def not_grounded_note(answer: Answer) -> str:
    """What happened when nothing was answered (a refusal is not 'use with caution')."""
    if answer.suggestions:
        return "知识图谱中没有找到问题中的名称。您是不是想问："
    return ""


_JOINERS = set("和与跟及或、，,。？?！!的是吗呢了有")


def unknown_span(question: str, name: str) -> str:
    """The part of the question the suggestion replaces: a window of the name's length that agrees with
    it in at least half of the positions (a typo of it), with no joining word inside; "" when none."""
    if len(name) < 2 or name in question:
        return ""
    best, best_score = "", 0
    for i in range(0, len(question) - len(name) + 1):
        window = question[i:i + len(name)]
        if any(ch in _JOINERS for a, ch in zip(name, window, strict=True) if a != ch):
            continue
        score = sum(1 for a, b in zip(name, window, strict=True) if a == b)
        if score > best_score:
            best, best_score = window, score
    return best if best_score * 2 >= len(name) else ""


def suggestion_question(question: str, name: str, intent: str = "") -> str:
    """The same question about the suggested entity: the unknown name replaced by `name`, or else
    `name` with the question's intent words."""
    span = unknown_span(question, name)
    if span:
        return question.replace(span, name, 1)
    spec = BY_NAME.get(intent)
    if spec is None or spec.name == "overview":
        return f"{name}是什么？"
    return f"{name}的{spec.label}是什么？"


def values_text(values: Sequence[SourcedValue]) -> str:
    return "、".join(v.text for v in values)


#: the first choice of the generator picker: whatever the service is configured with
DEFAULT_GENERATOR = "（服务默认）"


def generator_choices() -> list[str]:
    """The picker's choices: the service default, then every registered generator (a generator added
    with one line in models.generators.GENERATORS appears here without editing ui/)."""
    from models.generators import GENERATORS

    return [DEFAULT_GENERATOR, *GENERATORS]
