"""The instruction record every loader yields and the trainer consumes (alpaca fields + history)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class InstructionRecord:
    """One supervised example. `history` holds earlier (user, assistant) turns, oldest first."""

    instruction: str
    output: str
    input: str = ""
    history: tuple[tuple[str, str], ...] = field(default=())
    source: str = ""  # where it came from (file name or 'kg'); not written to alpaca files

    def to_alpaca(self) -> dict[str, object]:
        row: dict[str, object] = {"instruction": self.instruction, "input": self.input, "output": self.output}
        if self.history:
            row["history"] = [list(turn) for turn in self.history]
        return row

    @property
    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        """Dedup identity: the same question on the same evidence is one example."""
        return (self.instruction.strip(), self.input.strip(), self.history)


def write_jsonl(records: Iterable[InstructionRecord], path: Path) -> int:
    """Write alpaca JSONL atomically (temp file + rename); returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    n = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec.to_alpaca(), ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n
