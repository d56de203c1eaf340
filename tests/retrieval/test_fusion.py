"""Reciprocal-rank fusion: order, dedup, exclusion, determinism."""

from __future__ import annotations

from retrieval.evidence.fusion import rrf_merge
from retrieval.types import Evidence
from tests.conftest import make_evidence


def ev(text: str, origin: str = "dense") -> Evidence:
    return make_evidence(index=0, entity_id="e1", entity_name="痛风", entity_type="Disease", field="简介", text=text,
                    source="xywy", origin=origin)


def test_items_in_both_lists_rank_first() -> None:
    a, b, c = ev("甲"), ev("乙"), ev("丙")
    merged = rrf_merge([[a, b], [c, b]])
    assert [m.text for m in merged] == ["乙", "甲", "丙"]
    assert merged[0].score > merged[1].score


def test_ties_keep_first_appearance_and_result_is_deterministic() -> None:
    lists = [[ev("甲"), ev("乙")], [ev("丙"), ev("丁")]]
    first = [m.text for m in rrf_merge(lists)]
    assert first == ["甲", "丙", "乙", "丁"]
    assert first == [m.text for m in rrf_merge(lists)]


def test_excluded_items_are_dropped() -> None:
    a, b = ev("甲"), ev("乙")
    merged = rrf_merge([[a, b]], exclude={(a.entity_id, a.field, a.text)})
    assert [m.text for m in merged] == ["乙"]
