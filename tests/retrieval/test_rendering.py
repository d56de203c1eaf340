"""Evidence is data rendered in one place (retrieval.rendering): a list's heading, names, count, notes
and datasets come back as data, never parsed from its text."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kg.schema import Direction, Entity, Fact, NodeType, RelType
from models.citations import verify
from models.prompts import format_evidence
from retrieval.evidence import facts_to_evidence, property_evidence
from retrieval.rendering import GroupStyle, NoteKind, relabel, render_evidence
from retrieval.types import Evidence, EvidenceGroup, EvidenceNote


def _drug() -> Entity:
    return Entity(id="d1", name="非布司他片", type=NodeType.DRUG, sources=["cmekg", "caregpt"],
                  properties={"用法用量": "口服。一次40mg，一日一次。\n2、肾功能不全者慎用"})


def _fact(target: str, dataset: str = "cmekg") -> Fact:
    return Fact(entity_id="d1", entity_name="非布司他片", relation=RelType.INDICATED_FOR,
                target_id=f"x-{target}", target_name=target, target_type=NodeType.DISEASE,
                dataset=dataset)


def test_a_list_round_trips_through_the_renderer() -> None:
    facts = [_fact("痛风"), _fact("痛风", "caregpt"), _fact("高尿酸血症"), _fact("关节炎")]
    [ev] = facts_to_evidence(_drug(), facts, max_targets=2)
    assert ev.heading == "非布司他片的适应症"
    assert (ev.relation, ev.direction) == (RelType.INDICATED_FOR, Direction.OUT)
    assert ev.names[0] == "痛风" and len(ev.names) == 2 and ev.total == 3  # corroborated first
    assert ev.datasets == ["caregpt", "cmekg"] and ev.source == "caregpt,cmekg"
    assert ev.text == render_evidence(ev) == f"非布司他片的适应症：痛风、{ev.names[1]}等3项"
    assert ev.body == f"痛风、{ev.names[1]}等3项"
    again = Evidence.model_validate(ev.model_dump(exclude={"text", "source"}))
    assert again.text == ev.text and again.names == ev.names


def test_notes_and_groups_are_data_rendered_once() -> None:
    ev = Evidence(index=1, entity_id="x", entity_name="哮喘", entity_type="Disease", field="TREATED_BY",
                  heading="哮喘的常用药物", total=12, unit="种", datasets=["xywy"],
                  groups=[EvidenceGroup(label="糖皮质激素", names=["布地奈德", "氟替卡松"], style=GroupStyle.CLASS),
                          EvidenceGroup(names=["孟鲁司特"]),
                          EvidenceGroup(label="中成药", names=["苏黄止咳胶囊"], style=GroupStyle.INLINE)],
                  notes=[EvidenceNote(kind=NoteKind.LABEL_BANNED, names=["普萘洛尔"], subject="哮喘"),
                         EvidenceNote(kind=NoteKind.LOW_CONFIDENCE, count=2)])
    assert ev.text == ("哮喘的常用药物：糖皮质激素（布地奈德、氟替卡松）；孟鲁司特；中成药：苏黄止咳胶囊等12种"
                       "（说明书禁用于哮喘，未列入：普萘洛尔）（另有2项低置信度条目未列入）")


def test_prose_is_sentences_with_their_datasets() -> None:
    [ev] = property_evidence(_drug(), ["用法用量"])
    assert ev.heading == "非布司他片的用法用量" and not ev.names
    assert [s.text for s in ev.sentences] == ["口服。", "一次40mg，一日一次。\n", "2、肾功能不全者慎用"]
    assert all(s.datasets == ev.datasets for s in ev.sentences)
    assert ev.text == "非布司他片的用法用量：口服。一次40mg，一日一次。\n2、肾功能不全者慎用"
    relabel(ev, "非布司他片", "（同成分）")
    assert ev.text.startswith("非布司他片（同成分）的用法用量：口服。")


def test_text_is_rendered_never_given() -> None:
    with pytest.raises(ValidationError):
        Evidence(index=1, entity_id="x", entity_name="x", entity_type="Drug", field="f", text="x的f：y")  # type: ignore[call-arg]


def test_consumers_read_the_data() -> None:
    [ev] = facts_to_evidence(_drug(), [_fact("痛风"), _fact("高尿酸血症")])
    ev.index = 1
    assert format_evidence([ev]) == "[1] 非布司他片 适应症: 痛风、高尿酸血症 (cmekg)"
    [cite] = verify("非布司他片用于痛风、高尿酸血症[1]。", [ev]).citations
    assert (cite.heading, cite.items, cite.datasets) == ("非布司他片的适应症", ["痛风", "高尿酸血症"], ["cmekg"])
