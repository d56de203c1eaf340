"""The extractive generator: every sentence cites evidence, one relation from two datasets is one sentence."""

from __future__ import annotations

from models.citations import verify
from models.generators.base import GenerationRequest
from models.generators.extractive import ExtractiveGenerator
from retrieval.types import Evidence, Intent


def item(i: int, field: str, text: str, source: str = "cmekg", listy: bool = True) -> Evidence:
    return Evidence(index=i, entity_id="d1", entity_name="非布司他片", entity_type="Drug", field=field, text=text,
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
