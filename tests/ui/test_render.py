"""Rendering helpers of the chat page: links, [n] markers with their evidence, 了解更多, the card,
suggestions, comparison tables, export and Chinese errors."""

from __future__ import annotations

from datetime import datetime

from app.cards import build_card
from kg.schema import Entity, EntityCard, Fact, NodeType, RelType
from models.types import Answer, Citation, Comparison, ComparisonRow, EntityRef, Suggestion
from ui.client.http import parse_sse
from ui.render import (
    answer_html,
    card_html,
    card_item_fact,
    error_text,
    export_markdown,
    field_label,
    learn_more,
    link_candidates,
    markers_html,
    suggestion_question,
)

DRUG = Entity.named("非布司他片", NodeType.DRUG, aliases=["非布司他"], properties={"简介": "黄嘌呤氧化酶抑制剂"},
                    sources=["cmekg"])
GOUT = Entity.named("痛风", NodeType.DISEASE)
HYPER = Entity.named("高尿酸血症", NodeType.DISEASE)


def _answer(text: str = "非布司他片的适应症包括：痛风、高尿酸血症[1]。另见[2]。") -> Answer:
    return Answer(
        answer=text, grounded=True, intent="indication",
        entities=[EntityRef(id=DRUG.id, name=DRUG.name, type="Drug")],
        citations=[
            Citation(index=1, entity="非布司他片", entity_type="Drug", field="INDICATED_FOR",
                     text="非布司他片的适应症：痛风、高尿酸血症", source="cmekg", entity_id=DRUG.id,
                     heading="非布司他片的适应症", items=["痛风", "高尿酸血症"]),
            Citation(index=2, entity="痛风", entity_type="Disease", field="TREATED_BY<-",
                     text="可用痛风治疗的疾病：<b>", source="xywy,39health", entity_id=GOUT.id,
                     heading="可用痛风治疗的疾病", items=["<b>"]),
        ],
    )


RESOLVED = [EntityRef(id=HYPER.id, name="高尿酸血症", type="Disease")]


def test_field_labels_are_chinese_from_the_one_table() -> None:
    assert field_label("INDICATED_FOR", "X") == "适应症"
    assert field_label("TREATED_BY<-", "非布司他片") == "可用非布司他片治疗的疾病"
    assert field_label("简介", "X") == "简介"


def test_answer_links_every_named_entity_and_markers_open_evidence() -> None:
    out = answer_html(_answer(), RESOLVED)
    for e in (DRUG, GOUT, HYPER):  # the question's entity, a cited one and a list item resolved by name
        assert f'data-entity="{e.id}"' in out
    assert out.count('class="qz-cite"') == 2 and 'data-pop="1"' in out and 'data-pop="2"' in out
    assert "适应症" in out and "CMeKG" in out and "寻医问药、39健康" in out
    assert "INDICATED_FOR" not in out and "TREATED_BY" not in out
    assert "&lt;b&gt;" in out and "<b>" not in out.replace("<b>[", "")  # evidence text is escaped
    assert "证据（2 条）" in out


def test_answer_escapes_generated_html_and_keeps_invalid_markers_plain() -> None:
    out = answer_html(_answer("<script>alert(1)</script> 非布司他片[1][9]"))
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'data-cite="1"' in out and 'data-cite="9"' not in out and "[9]" in out


def test_link_candidates_are_cited_list_items_named_in_the_answer() -> None:
    names = link_candidates(_answer())
    assert names[:2] == ["非布司他片", "痛风"] and "高尿酸血症" in names


def test_learn_more_holds_every_cited_entity_ranked_once() -> None:
    refs = learn_more(_answer(), RESOLVED + [EntityRef(id=GOUT.id, name="痛风", type="Disease")])
    assert [r.name for r in refs] == ["非布司他片", "痛风", "高尿酸血症"]
    refused = _answer().model_copy(update={"grounded": False, "citations": []})
    assert learn_more(refused) == []


def test_markers_html_for_streaming_text() -> None:
    out = markers_html("a[3] <i>")
    assert 'data-cite="3"' in out and "&lt;i&gt;" in out


def test_card_html_header_summary_sections_and_expand_count() -> None:
    facts = [Fact(DRUG.id, DRUG.name, RelType.ADVERSE_REACTION, f"e{i}", f"反应{i:02d}", NodeType.SYMPTOM, "cmekg")
             for i in range(25)]
    facts.append(Fact(DRUG.id, DRUG.name, RelType.INDICATED_FOR, GOUT.id, GOUT.name, NodeType.DISEASE, "cmekg"))
    out = card_html(build_card(EntityCard(entity=DRUG, facts=facts)))
    assert '<span class="qz-name">非布司他片</span>' in out and ">药品<" in out and "来源：CMeKG" in out
    assert ">药品信息<" in out
    assert out.index("<th>通用名</th>") < out.index("<th>简介</th>") < out.index("适应症") < out.index("不良反应")
    assert "展开全部 25 项" in out and out.count('class="qz-item"') == 26
    assert "常见在前" in out
    assert out.count('data-feedback="') == 26 and "纠错" in out  # one feedback control per item


def test_long_prose_is_folded_after_its_first_sentences() -> None:
    text = "第一句说明适应症。" + "第二句很长的说明文字，" * 30 + "。"
    e = Entity.named("某药", NodeType.DRUG, properties={"注意事项": text}, sources=["caregpt"])
    out = card_html(build_card(EntityCard(entity=e)))
    assert "第一句说明适应症。<details" in out and "展开全文" in out


def test_comparison_table_and_suggestion_question() -> None:
    ans = _answer().model_copy(update={"comparison": Comparison(
        entities=[EntityRef(id=DRUG.id, name=DRUG.name, type="Drug"), EntityRef(id="e2", name="别嘌醇片", type="Drug")],
        rows=[ComparisonRow(label="主要适应症", cells=["痛风", ""], citations=[[1], []])])})
    out = answer_html(ans)
    assert '<table class="qz-compare">' in out and "<th>主要适应症</th>" in out and "未收录" in out
    assert suggestion_question("瑞格列汀片的适应症是什么？", "利格列汀片") == "利格列汀片的适应症是什么？"
    assert suggestion_question("它怎么样", "非布司他片", "adverse_reaction") == "非布司他片的不良反应是什么？"
    s = Suggestion(id=DRUG.id, name=DRUG.name, type="Drug", why="拼写相近")
    assert s.name in suggestion_question("非布斯他片的适应症", s.name)


def test_export_markdown_resolves_citations() -> None:
    md = export_markdown([("非布司他片的适应症是什么？", None), ("", _answer())], now=datetime(2026, 1, 1))
    assert "## 问：非布司他片的适应症是什么？" in md
    assert "[1] 非布司他片 · 适应症（来源：CMeKG）：非布司他片的适应症：痛风、高尿酸血症" in md
    assert "INDICATED_FOR" not in md


def test_errors_are_chinese() -> None:
    assert error_text("question_too_long", "the question has 600 characters", limit=500, n=600) == \
        "问题太长：最多 500 个字，当前 600 个字。请精简后再提问。"
    assert error_text("graph_unavailable", "知识图谱暂时不可用（服务端）") == "知识图谱暂时不可用（服务端）"
    assert "出错" in error_text("weird_code", "boom")


def test_parse_sse_blocks() -> None:
    lines = iter(["event: evidence", 'data: {"evidence": []}', "", "event: token", 'data: {"text": "a"}', "",
                  "event: done", 'data: {"answer": "a"}'])
    items = list(parse_sse(lines))
    assert [i.event for i in items] == ["evidence", "token", "done"]
    assert items[1].data == {"text": "a"}


def test_card_item_feedback_resolves_to_its_fact() -> None:
    facts = [Fact(DRUG.id, DRUG.name, RelType.ADVERSE_REACTION, "e1", "恶心", NodeType.SYMPTOM, "cmekg")]
    card = build_card(EntityCard(entity=DRUG, facts=facts))
    assert 'data-feedback="wrong_fact|adverse_reaction|e1"' in card_html(card)
    found = card_item_fact(card, "wrong_fact|adverse_reaction|e1")
    assert found is not None
    rating, fact = found
    assert rating == "wrong_fact" and fact.text == "非布司他片的不良反应：恶心" and fact.source == "cmekg"
    assert fact.key == f"{DRUG.id}:adverse_reaction:e1"
    assert card_item_fact(card, "wrong_fact|adverse_reaction|nope") is None
    assert card_item_fact(card, "hack|adverse_reaction|e1") is None


def test_generator_picker_lists_every_registered_generator() -> None:
    from models.generators import GENERATORS, register_generator
    from ui.render import DEFAULT_GENERATOR, generator_choices

    register_generator("echo", "tests.models.test_generator_contract:EchoGenerator")
    try:
        choices = generator_choices()
        assert choices[0] == DEFAULT_GENERATOR and "echo" in choices and "extractive" in choices
    finally:
        GENERATORS.pop("echo", None)
