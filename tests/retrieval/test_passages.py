"""Passages: prose detection by length, sentence-boundary chunking, stable ids, entity provenance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.schema import Entity, NodeType
from kg.stores.ladybug import LadybugStore
from retrieval.evidence import property_source
from retrieval.evidence.passages import (
    MAX_CHARS,
    build_passages,
    chunk_text,
    entity_passages,
    passage_id,
    prose_of,
    split_sentences,
)

CAUSE = "".join(f"第{i}点，高血压的病因可分为遗传因素和环境因素等多个方面{'。！；'[i % 3]}" for i in range(20))


def test_split_sentences_on_chinese_punctuation_and_newlines() -> None:
    assert split_sentences("头痛。发热！咳嗽？乏力；\n恶心\n呕吐") == ["头痛。", "发热！", "咳嗽？", "乏力；", "恶心", "呕吐"]


def test_overlong_sentence_is_cut_on_clauses_then_hard() -> None:
    clauses = "，".join(["这是一个很长的从句用来测试切分"] * 40) + "。"
    parts = split_sentences(clauses)
    assert len(parts) > 1 and all(len(p) <= MAX_CHARS for p in parts)
    assert "".join(parts) == clauses
    hard = split_sentences("无标点" * 250)
    assert [len(p) for p in hard] == [300, 300, 150]


def test_chunks_respect_size_and_sentence_boundaries_with_overlap() -> None:
    chunks = chunk_text(CAUSE)
    assert len(chunks) >= 2
    assert all(len(c) <= MAX_CHARS for c in chunks)
    assert all(c.endswith(("。", "！", "；")) for c in chunks)  # never cut mid-sentence
    # the short last sentence of a chunk is repeated at the start of the next one
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.startswith(split_sentences(a)[-1])
    covered = "".join(chunks)
    for sent in split_sentences(CAUSE):
        assert sent in covered


def test_short_text_is_one_chunk() -> None:
    assert chunk_text("  头痛，发热三天。  ") == ["头痛，发热三天。"]


def test_prose_by_length_not_by_key() -> None:
    assert prose_of("治疗周期：1个月") is None
    assert prose_of("x" * 31) == "x" * 31
    assert prose_of(["红枣粥", "山药粥", "百合汤", "银耳羹", "莲子羹", "薏米粥", "绿豆汤", "冬瓜汤"]) is None
    long_items = ["患者常出现头痛、头晕、心悸、耳鸣等症状，严重时可出现视物模糊和恶心呕吐。", "短"]
    assert prose_of(long_items) == long_items[0]
    usage = ["口服，一次1片，一日3次", "饭后服用"]
    assert prose_of(usage + ["儿童用量请遵医嘱，或按体重计算：每日每公斤体重5毫克"]) is not None


def _disease() -> Entity:
    return Entity.named("高血压", NodeType.DISEASE, described=True, sources=["39health", "xywy"], properties={
        "病因": CAUSE,
        "英文名": "hypertension, high blood pressure, arterial hypertension, HBP",  # long but a name list
        "治疗周期": "长期",
        "新字段": "一个来源新加的属性也会被索引，只要它足够长，像这段文字一样超过三十个字符。",
        "推荐食谱": ["芹菜粥", "菊花茶"],
    })


def test_entity_passages_keep_entity_field_and_source() -> None:
    ps = list(entity_passages(_disease()))
    fields = {p.field for p in ps}
    assert fields == {"病因", "新字段"}
    for p in ps:
        assert p.entity_name == "高血压" and p.entity_type == "Disease"
        assert p.id == passage_id(p.entity_id, p.field, p.text)
    # no provenance recorded (a graph built before it was): the datasets KG evidence cites for the property
    assert {p.source for p in ps if p.field == "病因"} == {property_source(_disease(), "病因")} == {"39health,xywy"}
    assert {p.source for p in ps if p.field == "新字段"} == {"39health,xywy"}
    assert ps[0].embed_text.startswith("高血压（")
    assert [p.id for p in entity_passages(_disease())] == [p.id for p in ps]  # stable


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LadybugStore]:
    with LadybugStore(tmp_path / "graph") as s:
        yield s


def test_build_passages_over_a_real_store(store: LadybugStore) -> None:
    drug = Entity.named("阿莫西林", NodeType.DRUG, described=True, sources=["caregpt"], properties={
        "适应证": "适用于敏感菌所致的中耳炎、鼻窦炎、咽炎、扁桃体炎等上呼吸道感染，以及泌尿生殖道感染。",
        "用法用量": ["口服。成人一次0.5g，每6～8小时1次，一日剂量不超过4g。"],
    })
    symptom = Entity.named("头痛", NodeType.SYMPTOM, sources=["xywy"])
    store.upsert_entities([_disease(), drug, symptom])
    ps = list(build_passages(store, batch_size=2))
    by_entity = {p.entity_name for p in ps}
    assert by_entity == {"高血压", "阿莫西林"}
    amox = [p for p in ps if p.entity_name == "阿莫西林"]
    assert {p.field for p in amox} == {"适应证", "用法用量"}
    assert all(p.entity_id == drug.id and p.source == "caregpt" for p in amox)
    assert len({p.id for p in ps}) == len(ps)
