"""The one place evidence data becomes text: `render_evidence` writes what a reader or a prompt sees
("X的适应症：痛风、高尿酸血症等12项（另有3项低置信度条目未列入）") from an Evidence's heading, names,
groups, count and notes, or from its prose sentences. Nothing downstream parses that text back: it
reads `Evidence.heading`, `.names`, `.sentences`, `.datasets` (retrieval.types).

This module imports nothing from retrieval.types at run time (types renders through it).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from kg.text import split_sentences

if TYPE_CHECKING:
    from retrieval.types import Evidence, EvidenceGroup, EvidenceNote, EvidenceSentence

#: between a heading and its body
COLON = "："
#: between the names of a list, and between the groups of a list shown by class
NAME_SEP = "、"
GROUP_SEP = "；"


class NoteKind(StrEnum):
    """Why items of a list are not shown: each kind one fixed sentence."""

    LOW_CONFIDENCE = "low_confidence"  # flagged items left out (retrieval.evidence.ranking)
    CONTRAINDICATED_SELF = "contraindicated_self"  # indications the drug's own 禁忌 names
    LABEL_BANNED = "label_banned"  # drugs whose label bans them for the disease (retrieval.evidence.salience)
    SINGLE_SOURCE = "single_source"  # drugs only one source ties to the disease (retrieval.evidence.salience)


class GroupStyle(StrEnum):
    """How a group of a list shown by class is written."""

    PLAIN = "plain"  # a、b
    CLASS = "class"  # 类名（a、b）
    INLINE = "inline"  # 中成药：a、b


def render_note(note: EvidenceNote) -> str:
    names = NAME_SEP.join(note.names)
    match note.kind:
        case NoteKind.LOW_CONFIDENCE:
            return f"（另有{note.count}项低置信度条目未列入）"
        case NoteKind.CONTRAINDICATED_SELF:
            return f"（{names}见于本品禁忌，未列为适应症）"
        case NoteKind.LABEL_BANNED:
            return f"（说明书禁用于{note.subject}，未列入：{names}）"
        case NoteKind.SINGLE_SOURCE:
            return f"（另有{note.count}种仅单一来源提及、说明书未载本病，未列入）"
    raise ValueError(note.kind)  # pragma: no cover - the enum is closed


def render_group(group: EvidenceGroup) -> str:
    names = NAME_SEP.join(group.names)
    match group.style:
        case GroupStyle.CLASS:
            return f"{group.label}（{names}）"
        case GroupStyle.INLINE:
            return f"{group.label}{COLON}{names}"
    return names


def render_body(ev: Evidence) -> str:
    """What follows the heading: a list's names (or groups), its "等N项" and notes; else the prose."""
    if ev.groups or ev.names or ev.total or ev.notes:
        listed = GROUP_SEP.join(render_group(g) for g in ev.groups) if ev.groups else NAME_SEP.join(ev.names)
        more = f"等{ev.total}{ev.unit}" if ev.total else ""
        return f"{listed}{more}{''.join(render_note(n) for n in ev.notes)}"
    return "".join(s.text for s in ev.sentences)


def render_evidence(ev: Evidence) -> str:
    """The evidence as one text: "heading：body", or the body alone when it has no heading."""
    body = render_body(ev)
    return f"{ev.heading}{COLON}{body}" if ev.heading else body


def list_names(names: Sequence[str]) -> list[str]:
    """The names a list shows, as a reader counts them: a source's target that is itself a list ("A、B",
    one scraped name) is its items. Joined with NAME_SEP they are the names' text unchanged."""
    return [part for n in names for part in n.split(NAME_SEP)]


def prose_sentences(text: str, datasets: Sequence[str]) -> list[EvidenceSentence]:
    """A prose body as sentences (kg.text.split_sentences; they concatenate back to `text`), each
    citing the datasets that wrote it."""
    from retrieval.types import EvidenceSentence

    ds = list(datasets)
    return [EvidenceSentence(text=s, datasets=ds) for s in split_sentences(text)]


def relabel(ev: Evidence, name: str, label: str) -> None:
    """Another entry's evidence read as that entry's: "阿莫西林的禁忌" → "阿莫西林（同成分）的禁忌"."""
    if ev.heading.startswith(name):
        ev.heading = f"{name}{label}{ev.heading[len(name):]}"
