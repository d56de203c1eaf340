"""Audit trail: one structured JSON line per answer, with nothing about the user but a question hash.

A stream that ends without its answer (the client went away, the deadline passed, a backend
failed) is recorded too, with `outcome` saying why and `evidence_ids` listing every evidence item
that was already sent: what the user saw must be traceable whether or not an answer followed.

Each record is written with a single `write()` on a file opened in append mode, so lines from
several threads or uvicorn workers never interleave (POSIX O_APPEND, lines well under PIPE_BUF).

The file is rotated by size (audit.jsonl -> audit.jsonl.1 -> … -> audit.jsonl.N, the oldest deleted),
so it never holds more than about `max_bytes * (keep + 1)`: a flood of posts cannot fill the disk.
Each write holds an flock on audit.jsonl.lock for its size check, rotation and append, so several
workers rotate once between them and never pass the limit together; a worker whose file was rotated
away by another notices on its next write (the path names another file) and reopens.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from models.types import Answer

if TYPE_CHECKING:
    from app.settings import Settings


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


#: defaults of QIZHEN_AUDIT_MAX_BYTES / QIZHEN_AUDIT_KEEP (also for logs built without settings)
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_KEEP = 5


def rotated_files(path: Path) -> Iterator[Path]:
    """The audit file and its rotated predecessors that exist, oldest first."""
    older = sorted((p for p in path.parent.glob(path.name + ".*") if p.suffix[1:].isdigit()),
                   key=lambda p: -int(p.suffix[1:]))
    yield from older
    if path.exists():
        yield path


class AuditLog:
    """Append-only JSONL file rotated by size; cheap to construct, the file is created on first write."""

    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES, keep: int = DEFAULT_KEEP) -> None:
        self.path = Path(path).expanduser()
        self.max_bytes = max(1, max_bytes)
        self.keep = max(0, keep)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._secret: bytes | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditLog:
        return cls(settings.audit_path, max_bytes=settings.audit_max_bytes, keep=settings.audit_keep)

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return self._fd

    def _rotate(self) -> None:
        """Shift audit.jsonl.N-1 -> .N … audit.jsonl -> .1 (the oldest deleted) and reopen; called with
        both locks held."""
        for n in range(self.keep, 0, -1):
            src = self.path if n == 1 else self.path.with_name(f"{self.path.name}.{n - 1}")
            if src.exists():
                os.replace(src, self.path.with_name(f"{self.path.name}.{n}"))
        if self.keep == 0:
            self.path.unlink(missing_ok=True)
        self.path.with_name(f"{self.path.name}.{self.keep + 1}").unlink(missing_ok=True)
        self._reopen()

    def _reopen(self) -> int:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        return self._open()

    def pseudonym(self, value: str) -> str:
        """A stable keyed hash of a client (API key, address, UI session): tells reporters apart in the
        log without storing who they are. The key lives beside the log (<audit>.key, created once)."""
        if self._secret is None:
            self._secret = self._load_secret()
        return hmac.new(self._secret, value.encode("utf-8"), hashlib.sha256).hexdigest()[:20]

    def _load_secret(self) -> bytes:
        key_path = self.path.with_name(self.path.name + ".key")
        if not key_path.exists():
            key_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = key_path.with_name(f"{key_path.name}.{os.getpid()}.{threading.get_ident()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, secrets.token_bytes(32))
            finally:
                os.close(fd)
            try:
                os.link(tmp, key_path)  # atomic and never replaces a key another worker made first
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        return key_path.read_bytes()

    def write(self, record: AuditRecord) -> None:
        line = (json.dumps(record.model_dump(), ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            if self._lock_fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._lock_fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_WRONLY | os.O_CREAT,
                                        0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)  # size check, rotation and append as one, across workers
            try:
                mine = os.fstat(self._open())
                if not self._is_current(mine):  # another worker rotated our file away: follow it
                    mine = os.fstat(self._reopen())
                if mine.st_size and mine.st_size + len(line) > self.max_bytes:
                    self._rotate()
                os.write(self._open(), line)
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _is_current(self, mine: os.stat_result) -> bool:
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            return False
        return (current.st_ino, current.st_dev) == (mine.st_ino, mine.st_dev)

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
            for fd in (self._fd, self._lock_fd):
                if fd is not None:
                    os.close(fd)
            self._fd = self._lock_fd = None
