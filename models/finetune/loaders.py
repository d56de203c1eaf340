"""SFT data loading: alpaca JSON (a list) or JSONL, and ShareGPT conversations; mixing by ratio.

Formats are detected per row: a row with `conversations` is ShareGPT (`[{from, value}]`, human /
gpt turns; earlier pairs become `history`, the last pair the instruction and output), otherwise
alpaca (`instruction`, `input`, `output`, optional `history` [[q, a], …]). A bad row raises
`DataFormatError` naming the file and line — nothing is dropped silently.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InvalidInput
from models.finetune.records import InstructionRecord

_HUMAN = {"human", "user"}
_ASSISTANT = {"gpt", "assistant", "bot", "chatgpt"}
_SYSTEM = {"system"}


class DataFormatError(InvalidInput):
    """A data file or row is not alpaca or ShareGPT."""


def _rows(path: Path) -> Iterator[tuple[int, object]]:
    """(line or item number, parsed row) from a JSON list or JSONL file."""
    text = path.read_text(encoding="utf-8")
    head = text.lstrip()[:1]
    if head == "[":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{path}: not valid JSON: {exc}") from exc
        yield from enumerate(data, start=1)
        return
    for no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield no, json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{path}:{no}: not valid JSON: {exc}") from exc


def _alpaca(row: dict[str, object], where: str, source: str) -> InstructionRecord:
    ins, out, inp = row.get("instruction"), row.get("output"), row.get("input", "") or ""
    if not isinstance(ins, str) or not ins.strip() or not isinstance(out, str) or not isinstance(inp, str):
        raise DataFormatError(f"{where}: alpaca rows need string 'instruction' and 'output' (and 'input')")
    hist = row.get("history") or []
    pairs: list[tuple[str, str]] = []
    if not isinstance(hist, list):
        raise DataFormatError(f"{where}: 'history' must be a list of [question, answer] pairs")
    for pair in hist:
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise DataFormatError(f"{where}: 'history' must be a list of [question, answer] pairs")
        pairs.append((pair[0], pair[1]))
    return InstructionRecord(ins, out, inp, tuple(pairs), source)


def _sharegpt(row: dict[str, object], where: str, source: str) -> InstructionRecord | None:
    turns = row.get("conversations")
    if not isinstance(turns, list) or not turns:
        raise DataFormatError(f"{where}: 'conversations' must be a non-empty list of {{from, value}}")
    pairs: list[tuple[str, str]] = []
    question: str | None = None
    for t in turns:
        if not isinstance(t, dict) or not isinstance(t.get("value"), str):
            raise DataFormatError(f"{where}: every turn needs 'from' and a string 'value'")
        who = str(t.get("from", "")).lower()
        if who in _SYSTEM:
            continue
        if who in _HUMAN:
            question = t["value"] if question is None else question + "\n" + t["value"]
        elif who in _ASSISTANT:
            if question is None:  # an assistant turn with no question: keep it attached to nothing
                continue
            pairs.append((question, t["value"]))
            question = None
        else:
            raise DataFormatError(f"{where}: unknown speaker {t.get('from')!r}")
    if not pairs:
        return None  # no answered question: nothing to learn from
    (ins, out), history = pairs[-1], tuple(pairs[:-1])
    return InstructionRecord(ins, out, "", history, source)


def load_records(path: Path) -> list[InstructionRecord]:
    """All examples of one alpaca or ShareGPT file (JSON list or JSONL)."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: no such data file")
    out: list[InstructionRecord] = []
    for no, row in _rows(path):
        where = f"{path}:{no}"
        if not isinstance(row, dict):
            raise DataFormatError(f"{where}: expected a JSON object")
        rec = _sharegpt(row, where, path.name) if "conversations" in row else _alpaca(row, where, path.name)
        if rec is not None and rec.output.strip():
            out.append(rec)
    return out


@dataclass(frozen=True, slots=True)
class DataSource:
    """A data file and how much of it goes into the mix.

    `ratio` multiplies the file's size: 1.0 takes every example once, 0.25 a seeded random quarter,
    2.0 every example twice (upsampling a small, valuable set)."""

    path: Path
    ratio: float = 1.0

    def __post_init__(self) -> None:
        if self.ratio <= 0:
            raise InvalidInput(f"{self.path}: ratio must be > 0")


def sample(records: Sequence[InstructionRecord], ratio: float, rng: random.Random) -> list[InstructionRecord]:
    """round(len × ratio) examples: whole copies for the integer part, a seeded sample for the rest."""
    whole, frac = int(ratio), ratio - int(ratio)
    out = list(records) * whole
    out += rng.sample(list(records), round(len(records) * frac))
    return out


def mix(sources: Sequence[DataSource], seed: int = 0) -> list[InstructionRecord]:
    """Load and mix several files by ratio, shuffled; deterministic for a seed."""
    rng = random.Random(seed)
    out: list[InstructionRecord] = []
    for src in sources:
        out.extend(sample(load_records(src.path), src.ratio, rng))
    rng.shuffle(out)
    return out
