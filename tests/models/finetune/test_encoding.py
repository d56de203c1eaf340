"""Response-only loss: prompt tokens are -100; truncation is counted; packing keeps each mask."""

from __future__ import annotations

from typing import Any

import pytest

from models.finetune.encoding import IGNORE_INDEX, EncodeStats, PadCollator, encode_records, pack
from models.finetune.records import InstructionRecord
from models.prompts import AlpacaTemplate, ChatGLMTemplate


@pytest.fixture(scope="module")
def tok() -> Any:
    from tests.tiny_llama import build_tokenizer

    return build_tokenizer()


def test_prompt_tokens_are_masked(tok: Any) -> None:
    rec = InstructionRecord("痛风吃什么药？", "非布司他片。", history=(("高血压", "头晕"),))
    tpl = AlpacaTemplate()
    [ex] = encode_records([rec], tok, tpl, max_length=1024)
    prompt, response = tpl.build_training_example(rec.instruction, rec.input, rec.output, list(rec.history))
    n_prompt = len(tok(prompt)["input_ids"])
    assert ex.input_ids[0] == tok.bos_token_id
    assert ex.labels[:n_prompt] == [IGNORE_INDEX] * n_prompt
    learned = ex.labels[n_prompt:]
    assert learned == ex.input_ids[n_prompt:] and learned[-1] == tok.eos_token_id
    assert tok.decode(learned[:-1]) == response == "非布司他片。"
    # the decoded full sequence is exactly the training text
    assert tok.decode(ex.input_ids, skip_special_tokens=True) == prompt + response


def test_truncation_counted_and_prompt_only_dropped(tok: Any) -> None:
    tpl = ChatGLMTemplate()
    short = InstructionRecord("头痛？", "休息。")
    long = InstructionRecord("头痛？", "多" * 100)
    hopeless = InstructionRecord("头" * 200, "休息。")
    stats = EncodeStats()
    out = encode_records([short, long, hopeless], tok, tpl, max_length=40, stats=stats)
    assert (stats.examples, stats.truncated, stats.dropped) == (3, 1, 1)
    assert len(out) == 2 and len(out[1].input_ids) == 40
    assert all(x != IGNORE_INDEX for x in out[1].labels[-10:])  # the cut response still trains


def test_pack_and_collate(tok: Any) -> None:
    tpl = ChatGLMTemplate()
    recs = [InstructionRecord(f"问题{i}？", "回答。" * (i + 1)) for i in range(6)]
    exs = encode_records(recs, tok, tpl, max_length=64)
    packed = pack(exs, 64)
    assert len(packed) < len(exs)
    assert sum(len(p.input_ids) for p in packed) == sum(len(e.input_ids) for e in exs)
    assert [x for p in packed for x in p.labels] == [x for e in exs for x in e.labels]
    assert all(len(p.input_ids) <= 64 for p in packed)
    batch = PadCollator(tok.pad_token_id)([{"input_ids": e.input_ids, "labels": e.labels} for e in exs[:2]])
    n0 = len(exs[0].input_ids)
    assert batch["attention_mask"][0, :n0].all() and not batch["attention_mask"][0, n0:].any()
    assert (batch["labels"][0, n0:] == IGNORE_INDEX).all()
    assert (batch["input_ids"][0, n0:] == tok.pad_token_id).all()
