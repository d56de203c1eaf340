"""Audit trail: one structured JSON line per answer, with nothing about the user but a question hash.

A stream that ends without its answer (the client went away, the deadline passed, a backend
failed) is recorded too, with `outcome` saying why and `evidence_ids` listing every evidence item
that was already sent: what the user saw must be traceable whether or not an answer followed.

Each record is written with a single `write()` on a file opened in append mode, so lines from
several threads or uvicorn workers never interleave (POSIX O_APPEND, lines well under PIPE_BUF).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from pydantic import BaseModel, Field

from models.types import Answer


class AuditRecord(BaseModel):
    ts: float = Field(description="unix time the answer was returned")
    route: str = Field(description="which entry point answered: /ask, /ask/stream, ui …")
    question_sha256: str
    entity_ids: list[str] = []
    evidence_ids: list[str] = Field(default=[], description="'<entity_id>:<field>:<index>' of each cited item")
    snapshot: str = ""
    generator: str = ""
    intent: str = ""
    grounded: bool = False
    latency_ms: float = 0.0
    outcome: str = Field(default="answered", description="answered | abandoned (client left mid-stream) | timeout | "
                         "busy | graph_unavailable | generator_unavailable | internal_error")


def question_hash(question: str) -> str:
    return hashlib.sha256(question.encode("utf-8")).hexdigest()


def record_for(answer: Answer, question: str, latency_ms: float, route: str) -> AuditRecord:
    """The audit view of one answer: ids and hashes only, never the question or answer text."""
    return AuditRecord(
        ts=time.time(),
        route=route,
        question_sha256=question_hash(question),
        entity_ids=[e.id for e in answer.entities],
        evidence_ids=[f"{c.entity_id}:{c.field}:{c.index}" for c in answer.citations],
        snapshot=answer.snapshot,
        generator=answer.generator,
        intent=answer.intent,
        grounded=answer.grounded,
        latency_ms=round(latency_ms, 2),
    )


class AuditLog:
    """Append-only JSONL file; cheap to construct, the file is created on first write."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return self._fd

    def write(self, record: AuditRecord) -> None:
        line = (json.dumps(record.model_dump(), ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            os.write(self._open(), line)

    def log_answer(self, answer: Answer, question: str, latency_ms: float, route: str) -> AuditRecord:
        record = record_for(answer, question, latency_ms, route)
        self.write(record)
        return record

    def log_unfinished(self, evidence: list[dict[str, object]], question: str, latency_ms: float, route: str, *,
                       outcome: str, snapshot: str = "", generator: str = "") -> AuditRecord:
        """A stream that sent its evidence (the dumped Evidence items) but no final answer."""
        entity_ids: list[str] = []
        for e in evidence:
            if str(e.get("entity_id", "")) not in entity_ids:
                entity_ids.append(str(e.get("entity_id", "")))
        record = AuditRecord(
            ts=time.time(), route=route, question_sha256=question_hash(question), entity_ids=entity_ids,
            evidence_ids=[f"{e.get('entity_id', '')}:{e.get('field', '')}:{e.get('index', '')}" for e in evidence],
            snapshot=snapshot, generator=generator, latency_ms=round(latency_ms, 2), outcome=outcome,
        )
        self.write(record)
        return record

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
