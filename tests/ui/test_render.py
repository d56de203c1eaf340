"""Rendering helpers of the chat page: entity links, [n] markers, 了解更多, the entity card."""

from __future__ import annotations

from app.api.schemas import card_out
from kg.schema import Entity, EntityCard, Fact, NodeType, RelType
from models.types import Answer, Citation, EntityRef
from ui.client.http import parse_sse
from ui.render import answer_html, card_markdown, learn_more, markers_html

DRUG = Entity.named("非布司他片", NodeType.DRUG, aliases=["非布司他"], properties={"简介": "黄嘌呤氧化酶抑制剂"},
                    sources=["cmekg"])
GOUT = Entity.named("痛风", NodeType.DISEASE)


def _answer(text: str = "非布司他片用于痛风[1]，也用于高尿酸血症[2]。") -> Answer:
    return Answer(
        answer=text, grounded=True, intent="indication",
        entities=[EntityRef(id=DRUG.id, name=DRUG.name, type="Drug")],
        citations=[
            Citation(index=1, entity="非布司他片", entity_type="Drug", field="INDICATED_FOR", text="痛风",
                     source="cmekg", entity_id=DRUG.id),
            Citation(index=2, entity="痛风", entity_type="Disease", field="简介", text="高尿酸血症<b>",
                     source="xywy", entity_id=GOUT.id),
        ],
    )


def test_answer_html_links_entities_and_superscripts_markers() -> None:
    out = answer_html(_answer(), sid="abc")
    assert f'href="?sid=abc&amp;entity={DRUG.id}"' in out
    assert f"entity={GOUT.id}" in out  # cited entity linked too
    assert out.count("<sup") == 2 and "[1]</sup>" in out and "[2]</sup>" in out
    assert "高尿酸血症&lt;b&gt;" in out  # citation text in the title attribute is escaped


def test_answer_html_escapes_generated_html() -> None:
    out = answer_html(_answer("<script>alert(1)</script> 非布司他片[1]"))
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "[1]</sup>" in out


def test_answer_html_links_first_mention_only() -> None:
    out = answer_html(_answer("非布司他片[1]。非布司他片。"))
    assert out.count('class="qz-entity"') == 1


def test_markers_html_for_streaming_text() -> None:
    assert markers_html("a[3] <i>") == 'a<sup class="qz-cite" title="证据 3">[3]</sup> &lt;i&gt;'


def test_learn_more_lists_cited_entities_once_in_order() -> None:
    refs = learn_more(_answer())
    assert [r.name for r in refs] == ["非布司他片", "痛风"]


def test_card_markdown_shows_names_type_summary_and_grouped_facts() -> None:
    facts = [Fact(DRUG.id, DRUG.name, RelType.INDICATED_FOR, GOUT.id, GOUT.name, NodeType.DISEASE, ds)
             for ds in ("cmekg", "caregpt")]
    out = card_markdown(card_out(EntityCard(entity=DRUG, facts=facts)))
    assert "### 非布司他片" in out and "药品" in out and "非布司他" in out
    assert "**简介**：黄嘌呤氧化酶抑制剂" in out
    assert "#### 适应症" in out and "痛风" in out and "cmekg、caregpt" in out


def test_card_out_merges_datasets_per_target() -> None:
    facts = [Fact(DRUG.id, DRUG.name, RelType.INDICATED_FOR, GOUT.id, GOUT.name, NodeType.DISEASE, ds)
             for ds in ("cmekg", "xywy", "cmekg")]
    card = card_out(EntityCard(entity=DRUG, facts=facts))
    assert len(card.groups) == 1 and card.groups[0].relation == "INDICATED_FOR"
    assert card.groups[0].facts[0].datasets == ["cmekg", "xywy"]


def test_parse_sse_blocks() -> None:
    lines = iter(["event: evidence", 'data: {"evidence": []}', "", "event: token", 'data: {"text": "a"}', "",
                  "event: done", 'data: {"answer": "a"}'])
    items = list(parse_sse(lines))
    assert [i.event for i in items] == ["evidence", "token", "done"]
    assert items[1].data == {"text": "a"}
