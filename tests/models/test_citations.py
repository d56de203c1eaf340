"""The citation check: markers resolve, unsupported sentences are flagged and never kept as cited."""

from __future__ import annotations

from models.citations import verify
from tests.conftest import make_evidence

EVIDENCE = [
    make_evidence(index=1, entity_id="d1", entity_name="非布司他片", entity_type="Drug", field="INDICATED_FOR",
             text="非布司他片的适应症：痛风、高尿酸血症", source="cmekg", target_name="痛风、高尿酸血症"),
    make_evidence(index=2, entity_id="d1", entity_name="非布司他片", entity_type="Drug", field="ADVERSE_REACTION",
             text="非布司他片的不良反应：肝功能异常、恶心、皮疹", source="cmekg", target_name="肝功能异常、恶心、皮疹"),
]


def test_valid_markers_become_citations() -> None:
    r = verify("非布司他片的适应症包括：痛风、高尿酸血症[1]。其不良反应有肝功能异常、恶心[2]。", EVIDENCE)
    assert [c.index for c in r.citations] == [1, 2]
    assert r.removed_markers == [] and r.unsupported == []
    assert r.citations[0].entity == "非布司他片" and r.citations[0].source == "cmekg"


def test_markers_pointing_nowhere_are_removed_and_reported() -> None:
    r = verify("非布司他片可用于痛风[1][7]。", EVIDENCE)
    assert r.removed_markers == [7]
    assert "[7]" not in r.text and "[1]" in r.text
    assert [c.index for c in r.citations] == [1]


def test_unsupported_sentence_is_flagged_and_uncited() -> None:
    r = verify("非布司他片的适应症包括痛风[1]。它还能治疗糖尿病和高血压以及哮喘[2]。", EVIDENCE)
    assert any("糖尿病" in s for s in r.unsupported)
    assert "[2]" not in r.text  # never silently kept as cited
    assert [c.index for c in r.citations] == [1]


def test_uncited_claim_is_flagged_but_frames_are_not() -> None:
    r = verify("以上内容来自知识库，仅供参考。阿司匹林可以预防心肌梗死。", EVIDENCE)
    assert r.unsupported == ["阿司匹林可以预防心肌梗死。"]
    assert r.citations == []


def test_ranges_and_lists_of_markers() -> None:
    r = verify("非布司他片适应症为痛风，不良反应有恶心[1-2]。非布司他片：高尿酸血症、皮疹[1,2]。", EVIDENCE)
    assert [c.index for c in r.citations] == [1, 2]


def test_markers_after_a_question_mark_stay_with_their_sentence() -> None:
    r = verify("非布司他片的适应症：痛风、高尿酸血症？[1][2]。", EVIDENCE)
    assert [c.index for c in r.citations] == [1, 2]
