"""Clinician feedback (👍/👎, "报告错误事实") written to the audit log, and the report KG maintainers read.

A feedback line is an AuditRecord with `event: "feedback"`, so it carries the same snapshot and
evidence ids as the answer it is about and lives in the same append-only file (and its rotated
predecessors, which the report reads too).

Every field and list is bounded, repeated items in one post are dropped, and each line names its
`reporter` (a keyed hash of the API key + UI session, or of the client's address): the report counts
distinct reporters per fact, so posting the same report again and again does not make a fact look
more disputed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from app.audit import AuditLog, AuditRecord, rotated_files

Rating = Literal["up", "down", "wrong_fact"]


class FactRef(BaseModel):
    """One reported fact: an evidence item of an answer or an item of an entity card."""

    key: str = Field(max_length=300, description="'<entity_id>:<field>:<index>' (answer) or "
                     "'<entity_id>:<section>:<item id or name>' (card item)")
    entity_id: str = Field(default="", max_length=64)
    entity: str = Field(default="", max_length=200, description="the entity's name")
    field: str = Field(default="", max_length=100, description="relationship code, section or property")
    text: str = Field(default="", max_length=600, description="the fact as shown to the clinician")
    source: str = Field(default="", max_length=100)


class FeedbackIn(BaseModel):
    """Body of POST /feedback."""

    rating: Rating
    target: Literal["answer", "card_item"]
    snapshot: str = Field(default="", max_length=100)
    question_sha256: str = Field(default="", max_length=64, description="hash of the answered question")
    entity_ids: list[Annotated[str, Field(max_length=64)]] = Field(default=[], max_length=50)
    evidence_ids: list[Annotated[str, Field(max_length=300)]] = Field(default=[], max_length=60)
    facts: list[FactRef] = Field(default=[], max_length=30, description="the facts reported as wrong "
                                 "(at most the evidence of one answer)")
    note: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _drop_repeats(self) -> FeedbackIn:
        """A fact or id listed twice in one post counts once."""
        self.entity_ids = list(dict.fromkeys(self.entity_ids))
        self.evidence_ids = list(dict.fromkeys(self.evidence_ids))
        firsts: dict[str, FactRef] = {}
        for f in self.facts:
            firsts.setdefault(f.key, f)
        self.facts = list(firsts.values())
        return self


class FeedbackRecord(AuditRecord):
    event: Literal["feedback"] = "feedback"
    rating: Rating
    target: str
    facts: list[FactRef] = []
    note: str = ""
    reporter: str = Field(default="", description="keyed hash of who posted it (lines written before it "
                          "existed have none and count as one reporter each)")


#: notes kept per reported fact in the report: one reporter repeating a post cannot push the others out
#: beyond this many distinct texts
MAX_NOTES_PER_FACT = 10


class ReportedFact(BaseModel):
    key: str
    entity_id: str
    entity: str
    field: str
    text: str
    source: str
    count: int = Field(description="distinct reporters")
    reports: int = Field(description="posts naming it, repeats included")
    snapshots: list[str]
    last_ts: float
    notes: list[str] = Field(default=[], description="the reporters' free-text notes on it, distinct, the "
                             f"latest {MAX_NOTES_PER_FACT} (oldest first)")


class FeedbackReport(BaseModel):
    up: int = Field(default=0, description="distinct (reporter, answer) 👍")
    down: int = 0
    wrong_fact_reports: int = Field(default=0, description="distinct (reporter, answer or card item) reports")
    posts: int = Field(default=0, description="feedback lines read, repeats included")
    reporters: int = 0
    facts: list[ReportedFact] = Field(default=[], description="reported by most reporters first")


def record_feedback(audit: AuditLog, feedback: FeedbackIn, route: str, *, reporter: str) -> FeedbackRecord:
    """`reporter`: who posted it (API key + UI session, or address); stored only as audit.pseudonym()."""
    record = FeedbackRecord(ts=time.time(), route=route, question_sha256=feedback.question_sha256,
                            entity_ids=feedback.entity_ids, evidence_ids=feedback.evidence_ids,
                            snapshot=feedback.snapshot, rating=feedback.rating, target=feedback.target,
                            facts=feedback.facts, note=feedback.note, reporter=audit.pseudonym(reporter))
    audit.write(record)
    return record


def read_feedback(path: Path) -> Iterable[FeedbackRecord]:
    """Feedback lines of an audit file and its rotated predecessors, oldest first (answer lines and
    damaged lines are skipped)."""
    for part in rotated_files(path):
        try:
            fh = part.open(encoding="utf-8", errors="replace")
        except FileNotFoundError:  # rotated away while we listed
            continue
        with fh:
            for line in fh:
                if '"event":"feedback"' not in line:
                    continue
                try:
                    yield FeedbackRecord.model_validate(json.loads(line))
                except (ValueError, ValidationError):
                    continue


def feedback_report(path: Path) -> FeedbackReport:
    report = FeedbackReport()
    facts: dict[str, ReportedFact] = {}
    fact_reporters: dict[str, set[str]] = {}
    counted: set[tuple[str, ...]] = set()
    reporters: set[str] = set()
    for n, rec in enumerate(read_feedback(path)):
        report.posts += 1
        who = rec.reporter or f"line-{n}"  # an older line without a reporter counts once on its own
        reporters.add(who)
        about = (who, rec.rating, rec.target, rec.question_sha256, rec.snapshot, *rec.evidence_ids)
        if about not in counted:
            counted.add(about)
            if rec.rating == "up":
                report.up += 1
            elif rec.rating == "down":
                report.down += 1
            else:
                report.wrong_fact_reports += 1
        if rec.rating != "wrong_fact":
            continue
        for f in rec.facts:
            seen = facts.get(f.key)
            if seen is None:
                seen = facts[f.key] = ReportedFact(**f.model_dump(), count=0, reports=0, snapshots=[], last_ts=rec.ts)
                fact_reporters[f.key] = set()
            seen.reports += 1
            fact_reporters[f.key].add(who)
            seen.count = len(fact_reporters[f.key])
            seen.last_ts = max(seen.last_ts, rec.ts)
            if rec.snapshot and rec.snapshot not in seen.snapshots:
                seen.snapshots.append(rec.snapshot)
            note = rec.note.strip()
            if note:  # a repeated note moves to the end (latest); the oldest beyond the bound goes
                seen.notes = [n for n in seen.notes if n != note][-(MAX_NOTES_PER_FACT - 1):] + [note]
    report.reporters = len(reporters)
    report.facts = sorted(facts.values(), key=lambda f: (-f.count, -f.last_ts, f.key))
    return report
