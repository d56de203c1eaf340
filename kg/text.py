"""The project's text toolkit for Chinese prose: the one sentence splitter, and the cleaning of
scraped long texts at ingest (xywy, 39health pages).

Sentences: every module that reads a text sentence by sentence (ingest de-duplication, lexical
matches, passages, drug-pair and patient sentences, answer focus, the UI's fold) splits it here,
with one definition of where a sentence ends and where a numbered clause ("1." "2、" "（3）") starts.

Crawled pages carry artefacts of how lists and blocks were joined: a list separator after a
sentence end ("…芋头。、"), the same sentence or paragraph twice, Windows line ends and tabs,
and fee lines written three ways ("根据不同医院，收费标准不一致，市三甲医院约（5000――8000元）",
"市三甲医院约（3000 —— 8000元）;"). Only form is changed, never content: no sentence is cut
short, and a repeated sentence keeps its first occurrence.
"""

from __future__ import annotations

import re

#: property keys whose values are fee lines (xywy treat_cost, 39health money)
FEE_KEYS = frozenset({"治疗费用"})

_JOIN_AFTER_END = re.compile(r"([。！？；;!?])[、，,]+")  # "。、" → "。"
_JOIN_BEFORE_BREAK = re.compile(r"[、，,]+(?=\n|$)")  # a separator left at a line end
_TABS = re.compile(r"[ \t\u3000]*\n[ \t\u3000]*")
_SPACES = re.compile(r"[ \t\u3000]{2,}")
_BLANK_LINES = re.compile(r"\n{3,}")
MIN_REPEAT_CHARS = 8  # shorter pieces (此种…可见于：) may repeat legitimately

#: What ends a sentence: Chinese and ASCII full stops, question and exclamation marks, semicolons,
#: and a line end. A run of them ("。\n\n", "！？") stays with the sentence it ends.
SENTENCE_ENDS = "。！？；!?;\n"
_AFTER_END = rf"(?<=[{SENTENCE_ENDS}])(?![{SENTENCE_ENDS}])"
#: Where a numbered clause starts ("1.", "2、", "（3）"); a number glued to a figure or a Latin token
#: (0.5., PDE5., 维生素B6.) starts none, nor does a decimal (1.5mg).
_BEFORE_NUMBER = r"(?<![\dA-Za-z.．])(?=(?:\d{1,2}[.、．]|[（(]\d{1,2}[)）])(?!\d))"
#: Zero-width breaks for `re.split`: after a sentence end; and also before a numbered clause.
SENTENCE_BREAK = re.compile(_AFTER_END)
CLAUSE_BREAK = re.compile(f"{_AFTER_END}|{_BEFORE_NUMBER}")
#: The number a numbered clause starts with ("1." "2、" "（3）").
CLAUSE_NUMBER = re.compile(r"^(?:\d{1,2}[.、．]|[（(]\d{1,2}[)）])")


def split_sentences(text: str, *, numbered: bool = False) -> list[str]:
    """The sentences of `text` in order, each with its end marks and line breaks, so that their
    concatenation is `text`; with `numbered`, a numbered clause ("2、…") is a sentence of its own."""
    return [p for p in (CLAUSE_BREAK if numbered else SENTENCE_BREAK).split(text) if p]


_FEE_BOILERPLATE = re.compile(r"^(根据不同(病情)?[，,]?\s*(不同)?医院[，,]\s*收费标准不一致[，,]\s*)")
_FEE_DASH = re.compile(r"\s*[-－—–―~～]+\s*")
_FEE_TRAIL = re.compile(r"[\s;；,，。]+$")


def clean_text(text: str) -> str:
    """Normalize line ends and blanks, drop stray list separators, drop repeated sentences."""
    s = text.replace("\r\n", "\n").replace("\r", "\n")
    s = _TABS.sub("\n", s)
    s = _SPACES.sub(" ", s)
    s = _JOIN_AFTER_END.sub(r"\1", s)
    s = _JOIN_BEFORE_BREAK.sub("", s)
    s = _drop_repeats(s)
    s = _BLANK_LINES.sub("\n\n", s)
    return s.strip()


def _drop_repeats(s: str) -> str:
    seen: set[str] = set()
    out: list[str] = []
    for piece in split_sentences(s):
        key = piece.strip()
        if len(key) >= MIN_REPEAT_CHARS:
            if key in seen:
                out.append(piece[len(piece.rstrip("\n")):])  # keep the paragraph break
                continue
            seen.add(key)
        out.append(piece)
    return "".join(out)


def clean_fee(text: str) -> str:
    """'根据不同医院，收费标准不一致，市三甲医院约（5000――8000元）' → '市三甲医院约（5000-8000元）'."""
    s = _FEE_BOILERPLATE.sub("", text.strip())
    s = _FEE_DASH.sub("-", s)
    return _FEE_TRAIL.sub("", s)


def clean_property(key: str, value: str) -> str:
    """The cleaned text of one scraped property value."""
    return clean_fee(value) if key in FEE_KEYS else clean_text(value)
