"""Parse the origin's ATC group pages (zh.wikipedia "ATC代码 (Xnn)" as pandoc Markdown) into table rows.

A page holds level-3 (`## C09A …`) and level-4 (`### C09AA …`) headings and level-5 entries in a list,
often wrapped over lines (`C09AA02` on one line, `[依那普利](… "wikilink")（Enalapril）` on the next).
Names: wikilinks become their text; the English name is the first full-width parenthesis holding Latin
text, else the trailing Latin text; parenthesised Chinese synonyms and a repeated "[name]" are dropped.
Veterinary codes (Q…) and everything after 参考文献 are left out. The output rows have the columns of
the reference table (code, level, name_zh, name_en, parent_code), so `--source atc` reads either.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kg.fetch.manifest import ATC_LEVEL1, AtcGroupCheck

COLUMNS = ("code", "level", "name_zh", "name_en", "parent_code")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\"]|\([^)]*\))*?(?:\s+\"[^\"]*\")?\)")
_ENTRY = re.compile(r"^\s*(?:#{1,6}\s*)?(?:-\s+)?([A-Z]\d{2}(?:[A-Z](?:[A-Z](?:\d{2})?)?)?)(?![A-Za-z0-9])(.*)$")
_LEVELS = {3: 2, 4: 3, 5: 4, 7: 5}
_PARENT_LEN = {2: 1, 3: 3, 4: 4, 5: 5}
_LATIN_PAREN = re.compile(r"（([^（）]*[A-Za-z][^（）]*)）")
_ZH_PAREN = re.compile(r"（[^（）A-Za-z]*）")
_TRAILING_LATIN = re.compile(r"^(.*?[^\x00-\x7f])\s*([A-Za-z][\x00-\x7f]*)$")
_REPEATED = re.compile(r"\s*\[[^\]]*\]\s*$")


@dataclass(frozen=True, slots=True)
class AtcRow:
    code: str
    level: int
    name_zh: str
    name_en: str
    parent_code: str


def _join(lines: Iterable[str]) -> str:
    """Wrapped lines back into one: a space only between two Latin words."""
    out = ""
    for ln in (x.strip() for x in lines):
        if not ln:
            continue
        latin = out and out[-1].isascii() and out[-1] not in "(（[" and ln[0].isascii() and ln[0].isalnum()
        out += (" " if latin else "") + ln
    return out


def split_name(text: str) -> tuple[str, str]:
    """'卡托普利（Captopril）' → ('卡托普利', 'Captopril'); '…，单方ACE inhibitors, plain' → ('…，单方',
    'ACE inhibitors, plain')."""
    text = text.strip()
    m = _LATIN_PAREN.search(text)
    if m:
        zh, en = text[:m.start()], m.group(1)
    else:
        t = _TRAILING_LATIN.match(text)
        zh, en = (t.group(1), t.group(2)) if t else (text, "")
    zh = _REPEATED.sub("", _ZH_PAREN.sub("", zh)).strip(" ，,")
    return zh, en.strip()


def parse_page(text: str, group: str) -> list[AtcRow]:
    """The rows of one group page: the level-2 row (names empty, as the page gives only the code),
    then levels 3–5 in page order."""
    text = text.split("参考文献", 1)[0]
    text = _LINK.sub(lambda m: m.group(1), text)
    entries: list[tuple[str, list[str | None]]] = []
    for line in text.splitlines():
        m = _ENTRY.match(line)
        if m and len(m.group(1)) in _LEVELS and m.group(1).startswith(group):
            entries.append((m.group(1), [m.group(2)] if m.group(2).strip() else []))
        elif entries and line.strip() and line.strip() != "-":
            entries[-1][1].append(line)
        elif entries and not line.strip():
            entries[-1][1].append(None)  # a blank line ends an entry
    rows = [AtcRow(group, 2, "", "", group[0])]
    seen = {group}
    for code, parts in entries:
        if code in seen:
            continue
        seen.add(code)
        # an entry ends at a blank line (a heading's paragraph, a list's end)
        body = parts[: parts.index(None)] if None in parts else parts
        zh, en = split_name(_join(p for p in body if p is not None))
        level = _LEVELS[len(code)]
        rows.append(AtcRow(code, level, zh, en, code[: _PARENT_LEN[level]]))
    return rows


def level1_rows() -> list[AtcRow]:
    return [AtcRow(code, 1, zh, en, "") for code, (zh, en) in sorted(ATC_LEVEL1.items())]


def check_group(rows: list[AtcRow], check: AtcGroupCheck) -> list[str]:
    """Differences between a page's parse and the reference: empty when codes and names agree."""
    problems: list[str] = []
    counts = Counter(r.level for r in rows)
    got = tuple(counts[level] for level in (2, 3, 4, 5))
    if _digest(sorted(r.code for r in rows)) != check.codes:
        problems.append(f"{check.group}: codes differ from the reference (per level {got}, expected {check.counts})")
    elif _digest(f"{r.code}\t{r.name_zh}\t{r.name_en}" for r in sorted(rows, key=lambda r: r.code)) != check.names:
        problems.append(f"{check.group}: names differ from the reference table")
    return problems


def _digest(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


def write_table(rows: Iterable[AtcRow], path: Path) -> None:
    """The rows as the reference table's CSV, sorted by code (hierarchical pre-order)."""
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in sorted(rows, key=lambda r: r.code):
            w.writerow([r.code, r.level, r.name_zh, r.name_en, r.parent_code])
    tmp.replace(path)
