"""Records → token ids with the response mask, truncation counts, optional packing, and the collator.

The prompt and the response are tokenized separately (prompt with the tokenizer's special tokens,
response without, then EOS when the template needs it), so the mask boundary is exact: every prompt
token is labelled -100 and only the response (and EOS) carry loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from models.finetune.records import InstructionRecord

IGNORE_INDEX = -100


@dataclass(slots=True)
class EncodedExample:
    input_ids: list[int]
    labels: list[int]


@dataclass(slots=True)
class EncodeStats:
    examples: int = 0
    truncated: int = 0  # cut to max_length, still trained on
    dropped: int = 0  # the prompt alone filled max_length: no response token left to learn
    tokens: int = 0
    response_tokens: int = 0
    packed_sequences: int = 0
    lengths: list[int] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, int]:
        return {"examples": self.examples, "truncated": self.truncated, "dropped": self.dropped,
                "tokens": self.tokens, "response_tokens": self.response_tokens,
                "packed_sequences": self.packed_sequences}


def encode_record(rec: InstructionRecord, tokenizer: Any, template: Any, max_length: int) -> tuple[EncodedExample | None, bool]:
    """(example or None when dropped, whether it was truncated)."""
    prompt, response = template.build_training_example(rec.instruction, rec.input, rec.output, list(rec.history))
    p_ids = tokenizer(prompt, add_special_tokens=True)["input_ids"]
    r_ids = tokenizer(response, add_special_tokens=False)["input_ids"]
    if template.needs_eos and tokenizer.eos_token_id is not None:
        r_ids = r_ids + [tokenizer.eos_token_id]
    ids = p_ids + r_ids
    labels = [IGNORE_INDEX] * len(p_ids) + list(r_ids)
    truncated = len(ids) > max_length
    if truncated:
        ids, labels = ids[:max_length], labels[:max_length]
    if all(x == IGNORE_INDEX for x in labels):
        return None, truncated
    return EncodedExample(ids, labels), truncated


def encode_records(records: Sequence[InstructionRecord], tokenizer: Any, template: Any, max_length: int,
                   stats: EncodeStats | None = None) -> list[EncodedExample]:
    stats = stats if stats is not None else EncodeStats()
    out: list[EncodedExample] = []
    for rec in records:
        ex, truncated = encode_record(rec, tokenizer, template, max_length)
        stats.examples += 1
        if ex is None:
            stats.dropped += 1
            continue
        stats.truncated += int(truncated)
        stats.tokens += len(ex.input_ids)
        stats.response_tokens += sum(1 for x in ex.labels if x != IGNORE_INDEX)
        out.append(ex)
    return out


def pack(examples: Sequence[EncodedExample], max_length: int) -> list[EncodedExample]:
    """Concatenate whole examples (in order) into sequences of at most `max_length` tokens.

    Examples are never split, so each keeps its own mask; attention does span the examples of one
    sequence (the usual cheap packing — fine for SFT of short instructions)."""
    out: list[EncodedExample] = []
    ids: list[int] = []
    labels: list[int] = []
    for ex in examples:
        if ids and len(ids) + len(ex.input_ids) > max_length:
            out.append(EncodedExample(ids, labels))
            ids, labels = [], []
        ids = ids + ex.input_ids
        labels = labels + ex.labels
    if ids:
        out.append(EncodedExample(ids, labels))
    return out


class EncodedDataset:
    """A torch-style map dataset over encoded examples."""

    def __init__(self, examples: Sequence[EncodedExample]) -> None:
        self.examples = list(examples)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> dict[str, list[int]]:
        ex = self.examples[i]
        return {"input_ids": ex.input_ids, "labels": ex.labels}


@dataclass
class PadCollator:
    """Right-pads a batch: pad id for inputs, -100 for labels, 0 in the attention mask."""

    pad_token_id: int

    def __call__(self, batch: list[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        width = max(len(b["input_ids"]) for b in batch)
        ids = torch.full((len(batch), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, b in enumerate(batch):
            n = len(b["input_ids"])
            ids[i, :n] = torch.tensor(b["input_ids"], dtype=torch.long)
            labels[i, :n] = torch.tensor(b["labels"], dtype=torch.long)
            mask[i, :n] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}
