"""The extractive generator says retrieval's patient verdict first and whole, and a population note
after the filtered list it qualifies (retrieval.safety.patient)."""

from __future__ import annotations

from models.generators.base import GenerationRequest
from models.generators.extractive import ExtractiveGenerator
from retrieval.types import Evidence, Intent
from tests.conftest import make_evidence


def _ev(index: int, field: str, text: str, target: str | None = None) -> Evidence:
    return make_evidence(index=index, entity_id="d", entity_name="布洛芬", entity_type="Drug", field=field, text=text,
                    source="caregpt", target_name=target)


def test_the_verdict_leads_even_when_a_qualifier_matches_other_sentences() -> None:
    evidence = [
        _ev(1, "注意事项", "布洛芬的注意事项：有溃疡病史者使用本药，宜在严密观察或加用抗酸药物下服用。"),
        _ev(2, "用药结论·condition", "高血压患者能否使用布洛芬：需慎用，应在医生指导下权衡使用，布洛芬的注意事项写明“高血压慎用”"),
    ]
    text = ExtractiveGenerator().generate(GenerationRequest(question="高血压病人能吃布洛芬吗", evidence=evidence,
                                                            intent=Intent(name="contraindication")))
    assert text.startswith("高血压患者能否使用布洛芬：需慎用")
    assert text.count("高血压慎用") == 1


def test_a_population_note_follows_the_list() -> None:
    evidence = [
        make_evidence(index=1, entity_id="k", entity_name="咳嗽", entity_type="Disease", field="TREATED_BY",
                 text="咳嗽的治疗药物（孕妇，已排除说明书禁用者）：氨溴索片（慎用）、止咳糖浆", source="xywy",
                 target_name="氨溴索片（慎用）、止咳糖浆"),
        make_evidence(index=2, entity_id="k", entity_name="咳嗽", entity_type="Disease", field="人群用药·pregnancy",
                 text="孕妇用药：说明书标明孕妇禁用：磷酸可待因片，均未列入可选药品", source="cmekg"),
    ]
    text = ExtractiveGenerator().generate(GenerationRequest(question="孕妇咳嗽吃什么药？", evidence=evidence,
                                                            intent=Intent(name="drug")))
    assert text.index("止咳糖浆") < text.index("磷酸可待因片")
