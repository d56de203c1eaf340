"""`qizhen ask --batch`: many questions through one warmed service, answers in input order."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel, ValidationError

from app.pipeline import QAService
from kg.errors import InvalidInput


class BatchItem(BaseModel):
    question: str
    history: list[str] = []


def run_batch(service: QAService, path: Path, out: Path | None, *, generator: str | None = None,
              top_k: int | None = None) -> int:
    """One output line per input line; a malformed line yields an error object, not a crash."""
    if not path.exists():
        raise InvalidInput(f"{path} does not exist")
    service.warm_up()
    sink = out.open("w", encoding="utf-8") if out else sys.stdout
    n = 0
    try:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    item = BatchItem.model_validate_json(line)
                except ValidationError as exc:
                    sink.write(json.dumps({"error": "invalid_line", "line": lineno,
                                           "message": exc.errors()[0]["msg"]}, ensure_ascii=False) + "\n")
                    n += 1
                    continue
                answer = service.ask(item.question, item.history, generator=generator, top_k=top_k)
                sink.write(answer.model_dump_json() + "\n")
                n += 1
    finally:
        if out:
            sink.close()
    return n
