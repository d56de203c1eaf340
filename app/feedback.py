"""Clinician feedback (👍/👎, "报告错误事实") written to the audit log, and the report KG maintainers read.

A feedback line is an AuditRecord with `event: "feedback"`, so it carries the same snapshot and
evidence ids as the answer it is about and lives in the same append-only file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from app.audit import AuditLog, AuditRecord

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
    entity_ids: list[str] = Field(default=[], max_length=50)
    evidence_ids: list[str] = Field(default=[], max_length=100)
    facts: list[FactRef] = Field(default=[], max_length=100, description="the facts reported as wrong")
    note: str = Field(default="", max_length=500)


class FeedbackRecord(AuditRecord):
    event: Literal["feedback"] = "feedback"
    rating: Rating
    target: str
    facts: list[FactRef] = []
    note: str = ""


class ReportedFact(BaseModel):
    key: str
    entity_id: str
    entity: str
    field: str
    text: str
    source: str
    count: int
    snapshots: list[str]
    last_ts: float


class FeedbackReport(BaseModel):
    up: int = 0
    down: int = 0
    wrong_fact_reports: int = 0
    facts: list[ReportedFact] = Field(default=[], description="most reported first")


def record_feedback(audit: AuditLog, feedback: FeedbackIn, route: str) -> FeedbackRecord:
    record = FeedbackRecord(ts=time.time(), route=route, question_sha256=feedback.question_sha256,
                            entity_ids=feedback.entity_ids, evidence_ids=feedback.evidence_ids,
                            snapshot=feedback.snapshot, rating=feedback.rating, target=feedback.target,
                            facts=feedback.facts, note=feedback.note)
    audit.write(record)
    return record


def read_feedback(path: Path) -> Iterable[FeedbackRecord]:
    """Feedback lines of an audit file (answer lines and damaged lines are skipped)."""
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
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
    for rec in read_feedback(path):
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
                facts[f.key] = ReportedFact(**f.model_dump(), count=1, snapshots=[rec.snapshot] if rec.snapshot else [],
                                            last_ts=rec.ts)
                continue
            seen.count += 1
            seen.last_ts = max(seen.last_ts, rec.ts)
            if rec.snapshot and rec.snapshot not in seen.snapshots:
                seen.snapshots.append(rec.snapshot)
    report.facts = sorted(facts.values(), key=lambda f: (-f.count, -f.last_ts, f.key))
    return report
