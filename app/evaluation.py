"""The seed's evaluation: drug indications (CSV) and disease questions (JSONL), three standards.

A reference item is *hit* when the normalized answer contains the normalized item, or one of
the item's names known to the KG (its entity's name and aliases). Normalization: NFKC (full →
half width), lower case, brackets/punctuation/whitespace removed, a trailing "..." truncation
mark dropped. Strict: the question's own entity names are cut out of the answer first, so an
item that only matches because the answer repeats the drug's name is not a hit.
Standard 1: ≥ 1 item hit; standard 2: ≥ 1/2 of the items; standard 3: ≥ 2/3 of the items.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from app.pipeline import QAService
from models.types import Answer

_STRIP = re.compile(r"[\s\[\]()（）【】「」《》<>,，.。、;；:：!！?？\"'“”‘’·…\-—_/|]+")
_CITATION = re.compile(r"\[\d+\]")

#: Published numbers of the seed (QiZhenGPT README, drug-indication evaluation on 94 drugs).
PUBLISHED = [
    ("ChatGLM", 39.36, 23.16, 14.74),
    ("ChatGPT (gpt-3.5)", 47.87, 30.85, 15.96),
    ("QiZhen-Checkpoint-3500", 77.66, 55.32, 40.00),
    ("QiZhen-Checkpoint-6000", 90.43, 73.40, 65.96),
]


def normalize_text(text: str) -> str:
    s = unicodedata.normalize("NFKC", _CITATION.sub("", text)).lower()
    s = re.sub(r"(\.\.\.|…)+$", "", s.strip())
    return _STRIP.sub("", s)


_GENERIC_SUFFIXES = ("疾病", "病", "症")


def _without_generic_suffix(form: str) -> str:
    """'高血压病' → '高血压': a trailing 病/症/疾病 does not change which disease is named (kept when
    fewer than three characters would remain: 糖尿病 stays whole)."""
    for suffix in _GENERIC_SUFFIXES:
        if form.endswith(suffix) and len(form) - len(suffix) >= 3:
            return form[: -len(suffix)]
    return form


class Scores(BaseModel):
    n: int
    standard1: float
    standard2: float
    standard3: float


@dataclass
class Tally:
    n: int = 0
    s1: int = 0
    s2: int = 0
    s3: int = 0

    def add(self, hits: int, total: int) -> None:
        self.n += 1
        self.s1 += hits >= 1
        self.s2 += total > 0 and hits * 2 >= total
        self.s3 += total > 0 and hits * 3 >= total * 2

    def scores(self) -> Scores:
        pct = (lambda k: round(100.0 * k / self.n, 2)) if self.n else (lambda k: 0.0)
        return Scores(n=self.n, standard1=pct(self.s1), standard2=pct(self.s2), standard3=pct(self.s3))


@dataclass
class Case:
    question: str
    references: list[str]
    subject: str
    kind: str = "drug"
    detail: dict[str, object] = field(default_factory=dict)


class Matcher:
    """Reference matching with KG synonyms (cached per item)."""

    def __init__(self, synonyms: Callable[[str], list[str]]) -> None:
        self._synonyms = synonyms
        self._cache: dict[str, list[str]] = {}

    def forms(self, item: str) -> list[str]:
        if item not in self._cache:
            forms = [item, *self._synonyms(item)]
            normed = [normalize_text(f) for f in forms]
            normed += [_without_generic_suffix(f) for f in normed]
            head = normed[0]
            # a synonym shorter than two characters would match almost any answer
            self._cache[item] = [f for f in dict.fromkeys(normed) if f == head or len(f) >= 2]
        return self._cache[item]

    def hits(self, answer: Answer, case: Case) -> list[str]:
        text = normalize_text(answer.answer)
        own = {normalize_text(case.subject)} | {normalize_text(e.name) for e in answer.entities[:1]}
        for name in sorted(own, key=len, reverse=True):
            if name:
                text = text.replace(name, "\x00")
        hit: list[str] = []
        for item in case.references:
            forms = [f for f in self.forms(item) if f and f not in own]
            if any(f in text for f in forms):
                hit.append(item)
        return hit


def load_drug_cases(path: Path) -> list[Case]:
    cases: list[Case] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            drug = (row.get("药品") or "").strip()
            refs = row.get("医学专家标注的适应病症") or row.get("药品适应症") or ""
            items = [r.strip() for r in refs.split("|") if r.strip()]
            if drug and items:
                cases.append(Case(question=f"{drug}的适应病症", references=items, subject=drug))
    return cases


def load_disease_cases(path: Path) -> list[Case]:
    cases: list[Case] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            cases.append(Case(question=row["question"], references=[str(r) for r in row.get("reference", [])],
                              subject=row.get("disease", ""), kind=row.get("type", "")))
    return cases


def evaluate(service: QAService, cases: Iterable[Case], *, generator: str | None = None,
             on_case: Callable[[Case, Answer, list[str]], None] | None = None) -> dict[str, Scores]:
    """Scores per case kind plus `overall`."""
    store = service.store

    def synonyms(item: str) -> list[str]:
        out: list[str] = []
        for e in store.find_by_name(item)[:3]:
            out += [e.name, *e.aliases]
        return out

    matcher = Matcher(synonyms)
    tallies: dict[str, Tally] = {}
    overall = Tally()
    for case in cases:
        answer = service.ask(case.question, generator=generator)
        hit = matcher.hits(answer, case)
        tallies.setdefault(case.kind, Tally()).add(len(hit), len(case.references))
        overall.add(len(hit), len(case.references))
        if on_case:
            on_case(case, answer, hit)
    out = {kind: t.scores() for kind, t in tallies.items()}
    out["overall"] = overall.scores()
    return out


def report_markdown(title: str, scores: dict[str, Scores], generator: str) -> str:
    lines = [f"# {title}", "", "| model | standard 1 | standard 2 | standard 3 | n |", "|---|---|---|---|---|"]
    for kind, s in scores.items():
        label = f"QiZhen KG + {generator}" + ("" if kind in ("overall", "drug") else f" ({kind})")
        lines.append(f"| {label} | {s.standard1:.2f} | {s.standard2:.2f} | {s.standard3:.2f} | {s.n} |")
    lines += ["", "Published by QiZhenGPT (drug indications, 94 drugs, graded by medical staff against the",
              "package insert; not the same drugs as this run):", "",
              "| model | standard 1 | standard 2 | standard 3 |", "|---|---|---|---|"]
    lines += [f"| {m} | {a:.2f} | {b:.2f} | {c:.2f} |" for m, a, b, c in PUBLISHED]
    return "\n".join(lines) + "\n"
