"""The extractive generator: every sentence cites evidence, one relation from two datasets is one sentence."""

from __future__ import annotations

import re

from models.citations import verify
from models.generators.base import GenerationRequest
from models.generators.extractive import ExtractiveGenerator
from retrieval.types import Evidence, Intent
from tests.conftest import make_evidence


def item(i: int, field: str, text: str, source: str = "cmekg", listy: bool = True) -> Evidence:
    return make_evidence(index=i, entity_id="d1", entity_name="非布司他片", entity_type="Drug", field=field, text=text,
                    source=source, target_name=text.split("：")[1] if listy else None)


def test_answer_cites_every_item_and_merges_datasets() -> None:
    ev = [item(1, "INDICATED_FOR", "非布司他片的适应症：痛风、高尿酸血症"),
          item(2, "INDICATED_FOR", "非布司他片的适应症：痛风、关节炎", source="caregpt"),
          item(3, "用法用量", "非布司他片的用法用量：口服，一次40mg", listy=False),
          item(4, "ADVERSE_REACTION", "非布司他片的不良反应：肝功能异常、恶心")]
    text = ExtractiveGenerator().generate(GenerationRequest(question="非布司他片的适应症", evidence=ev,
                                                            intent=Intent(name="indication")))
    assert "痛风、高尿酸血症、关节炎[1][2]" in text
    assert "用药安全提示" in text and "[4]" in text
    report = verify(text, ev)
    assert [c.index for c in report.citations] == [1, 2, 3, 4]
    assert report.unsupported == [] and report.removed_markers == []


def test_no_evidence_no_text() -> None:
    assert ExtractiveGenerator().generate(GenerationRequest(question="x", evidence=[])) == ""


def test_stream_joins_to_generate() -> None:
    ev = [item(1, "ADVERSE_REACTION", "非布司他片的不良反应：肝功能异常、恶心")]
    req = GenerationRequest(question="q", evidence=ev, intent=Intent(name="adverse_reaction"))
    gen = ExtractiveGenerator()
    assert "".join(gen.stream(req)) == gen.generate(req)


def test_long_lists_show_the_top_items_and_the_same_n() -> None:
    names = "、".join(f"症状{i}" for i in range(20))
    ev = [item(1, "ADVERSE_REACTION", f"非布司他片的不良反应：{names}")]
    text = ExtractiveGenerator().generate(GenerationRequest(question="有什么副作用", evidence=ev,
                                                            intent=Intent(name="adverse_reaction")))
    assert text.startswith("非布司他片的不良反应包括：症状0、")  # no preamble: the answer comes first
    first = text.split("。")[0]
    assert first.endswith("症状7[1]等20项") and "症状8" not in first
    assert "症状8" not in text  # uncorroborated items stay in the evidence, not in the answer


def test_prose_answers_with_the_qualifier_sentence_first_and_folds_the_rest() -> None:
    contra = ("对本品过敏者禁用。有哮喘及其他过敏性反应时慎用。肝功能不全和肝硬化患者慎用。严重心功能不全者慎用。"
              "治疗费用：约300元。长期大量用药时应定期检查血细胞比容、肝功能及血清水杨酸含量。本药易通过胎盘，孕妇禁用。")
    ev = [item(1, "注意事项", f"阿司匹林的注意事项：{contra}", listy=False),
          item(2, "CONTRAINDICATED", "阿司匹林的禁忌：过敏者、孕妇")]
    text = ExtractiveGenerator().generate(GenerationRequest(question="孕妇可以吃阿司匹林吗", evidence=ev,
                                                            intent=Intent(name="contraindication")))
    assert text.index("孕妇禁用") < 150
    assert "元" not in text and "详见证据[1]" in text
    report = verify(text, ev)
    assert report.removed_markers == [] and report.unsupported == []
    assert {c.index for c in report.citations} == {1, 2}


def test_a_disease_list_continues_only_with_its_reliable_items() -> None:
    """After the top 8, a disease's symptoms continue with items that are corroborated or from a
    curated list (Evidence.reliable); the machine-extracted rest (胃炎 → 痴呆) stays in the evidence."""
    names = [f"症状{i}" for i in range(12)] + ["痴呆", "没有恶性肿瘤的可疑特征"]
    ev = make_evidence(index=1, entity_id="g", entity_name="胃炎", entity_type="Disease", field="HAS_SYMPTOM",
                  text=f"胃炎的症状：{'、'.join(names)}", source="xywy,cmekg", target_name="、".join(names),
                  reliable=12)
    text = ExtractiveGenerator().generate(GenerationRequest(question="胃炎有哪些症状", evidence=[ev],
                                                            intent=Intent(name="symptom")))
    assert "其余还有：症状8、症状9、症状10、症状11[1]。" in text
    assert "痴呆" not in text and "恶性肿瘤" not in text
    unreliable = ev.model_copy(update={"reliable": 3})
    text = ExtractiveGenerator().generate(GenerationRequest(question="胃炎有哪些症状", evidence=[unreliable],
                                                            intent=Intent(name="symptom")))
    assert "其余还有" not in text


def test_an_answer_keeps_to_its_budget_in_whole_sentences_and_points_to_the_rest() -> None:
    """Bottom line first, about ANSWER_CHARS characters: sections that do not fit whole are pointed
    to (详见证据[n]), never cut mid-sentence; the safety note comes before supplementary passages."""
    from models.generators.extractive import ANSWER_CHARS

    long = "。".join(f"第{i}句说明本品在某种情况下的用法和需要注意的事项" for i in range(12)) + "。"
    ev = [item(1, "INDICATED_FOR", "某药片的适应症：高血压、心绞痛"),
          *[item(i, f"说明{i}", f"某药片的说明{i}：{long}", listy=False) for i in range(2, 7)],
          item(7, "ADVERSE_REACTION", "某药片的不良反应：头痛、水肿")]
    text = ExtractiveGenerator().generate(GenerationRequest(question="某药片是治什么的", evidence=ev,
                                                            intent=Intent(name="indication")))
    assert text.startswith("某药片的适应症包括：高血压、心绞痛[1]。")
    body = text.split("以上内容来自知识库")[0]
    assert len(re.sub(r"\[\d+\]", "", body)) <= ANSWER_CHARS + 30
    assert "详见证据" in body and "[6]" in body.split("详见证据")[1]
    report = verify(text, ev)
    assert report.removed_markers == [] and report.unsupported == []


def test_repeated_items_and_latin_numbers_are_not_split_or_repeated() -> None:
    from models.generators.focus import sentences

    assert sentences("本品可抑制PDE5.从而扩张血管。1.孕妇禁用；2、儿童慎用。")[0] == "本品可抑制PDE5.从而扩张血管。"
    ev = [item(1, "ADVERSE_REACTION", "某药片的不良反应：恶心、呕吐、恶心，呕吐、7-10天、7-10天")]
    text = ExtractiveGenerator().generate(GenerationRequest(question="有什么副作用", evidence=ev,
                                                            intent=Intent(name="adverse_reaction")))
    assert text.startswith("某药片的不良反应包括：恶心、呕吐、7-10天[1]。")


def test_an_answer_points_to_its_folded_evidence_once() -> None:
    long = "。".join(f"第{i}句说明本品在某种情况下的用法和需要注意的事项" for i in range(12)) + "。"
    ev = [item(1, "INDICATED_FOR", "某药片的适应症：高血压"),
          *[item(i, f"说明{i}", f"某药片的说明{i}：{long}", listy=False) for i in range(2, 6)]]
    text = ExtractiveGenerator().generate(GenerationRequest(question="某药片是治什么的", evidence=ev,
                                                            intent=Intent(name="indication")))
    assert text.count("详见证据") == 1
