"""Question-focused sentences and render-time cleaning of scraped prose."""

from __future__ import annotations

from models.generators.focus import clip, qualifiers, select, sentences

CONTRA = ("1.慎用：(1)有哮喘及其他过敏性反应时慎用。(2)肝功能不全和肝硬化患者易出现不良反应，应慎用。"
          "2.药物对儿童的影响：12岁以下儿童在罹患流感或水痘时，不推荐使用本品。"
          "3.药物对妊娠的影响：本药易通过胎盘，孕妇禁用。")


def test_qualifiers_from_the_question() -> None:
    assert [q.name for q in qualifiers("孕妇可以吃阿司匹林吗")] == ["pregnancy"]
    assert {q.name for q in qualifiers("小孩一次吃几粒")} == {"children", "dose"}
    assert qualifiers("阿司匹林是什么") == []


def test_select_puts_the_matching_sentence_first() -> None:
    hit, rest = select(CONTRA, qualifiers("孕妇能用吗"))
    assert len(hit) == 1 and "孕妇禁用" in hit[0]
    assert any("哮喘" in r for r in rest)
    hit, _ = select(CONTRA, qualifiers("肝功能不好能吃吗"))
    assert hit and "肝功能不全" in hit[0]


def test_cleaning_repairs_joins_drops_duplicates_fragments_and_fees() -> None:
    text = ("本品用于治疗痛风。、本品用于治疗痛风。纵隔：支气管炎。治疗费用：市三甲医院约（300 —— 800元）。"
            "偶见皮疹及肝功能异常。")
    out = sentences(text)
    assert out == ["本品用于治疗痛风。", "偶见皮疹及肝功能异常。"]


def test_short_values_and_numbered_items_survive() -> None:
    assert sentences("1-6个月") == ["1-6个月"]
    assert "3.孕妇；" in sentences("1.对本品过敏者；2.严重肝肾功能不全者；3.孕妇；")
    assert sentences("母婴传播 血液传播") == ["母婴传播、血液传播"]


def test_clip_keeps_whole_sentences() -> None:
    text, cut = clip(["第一句比较长的句子内容。", "第二句。"], 12)
    assert text == "第一句比较长的句子内容" and cut


def test_real_handbook_texts_focus_and_clean(shared_data) -> None:  # noqa: ANN001 - pytest fixture
    """On the real CareGPT handbook: pregnancy sentences are found where the text has them, and
    no cleaned sentence is a bare fragment or carries a price."""
    import json
    import re

    entries = json.loads((shared_data / "caregpt" / "drug.json").read_text(encoding="utf-8"))[:400]
    quals = qualifiers("孕妇能用吗")
    found = with_word = 0
    for raw in entries:
        text = next((ln.split(":", 1)[1] for ln in raw.split("\n") if ln.startswith("注意事项:")), "")
        if "孕妇" not in text:
            continue
        with_word += 1
        hit, _ = select(text, quals)
        found += any("孕妇" in h for h in hit)
        assert not any(re.search(r"\d\s*元", s) for s in sentences(text))
    assert with_word > 20 and found / with_word > 0.95
