"""QAService end to end over a small real embedded graph: grounding, follow-ups, abstention, streaming."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.pipeline import QAService
from models.generators.base import Turn
from tests.app.api_graph import build_graph


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    settings = build_graph(Path(tmp_path_factory.mktemp("home")))
    svc = QAService(settings)
    svc.warm_up()
    return svc


def test_grounded_answer_cites_resolvable_evidence(service: QAService) -> None:
    a = service.ask("非布司他片的适应症是什么？")
    assert a.grounded and a.intent == "indication"
    assert a.entities[0].name == "非布司他片"
    assert "痛风" in a.answer and "高尿酸血症" in a.answer
    markers = {int(m) for m in __import__("re").findall(r"\[(\d+)\]", a.answer)}
    assert markers == {c.index for c in a.citations}  # 100 % of markers resolve
    assert a.snapshot and "total_ms" in a.timings_ms


@pytest.mark.parametrize("history", [["非布司他片的适应症是什么？"],
                                      [Turn(role="user", content="非布司他片的适应症是什么？"),
                                       Turn(role="assistant", content="……")]])
def test_follow_up_resolves_to_the_previous_entity(service: QAService, history: list) -> None:
    a = service.ask("有什么副作用", history)
    assert a.grounded and a.intent == "adverse_reaction"
    assert a.entities[0].name == "非布司他片"
    assert "肝功能异常" in a.answer


def test_follow_up_with_its_own_entity_uses_that_entity(service: QAService) -> None:
    a = service.ask("别嘌醇片有什么副作用", ["非布司他片的适应症是什么？"])
    assert a.entities[0].name == "别嘌醇片"


@pytest.mark.parametrize("question", ["今天天气怎么样", "帮我写一首关于春天的诗", "3加5等于几", "氟卡替尼片能治什么病"])
def test_off_topic_and_unknown_entities_abstain(service: QAService, question: str) -> None:
    a = service.ask(question)
    assert not a.grounded and a.citations == []


def test_known_entity_without_facts_for_the_intent_abstains(service: QAService) -> None:
    a = service.ask("别嘌醇片和什么药有相互作用")
    assert not a.grounded and a.citations == [] and "别嘌醇片" in a.answer


def test_reverse_question_lists_drugs_for_a_disease(service: QAService) -> None:
    a = service.ask("什么药能治痛风")
    assert a.grounded and a.intent == "drug"
    # by generic name (retrieval.evidence.salience): 非布司他片 → 非布司他
    assert "非布司他" in a.answer and "别嘌醇" in a.answer


def test_stream_order_and_final_answer_match_ask(service: QAService) -> None:
    events = list(service.ask_stream("非布司他片的适应症是什么？"))
    kinds = [e.event for e in events]
    assert kinds[0] == "evidence" and kinds[-2:] == ["citations", "done"]
    assert set(kinds[1:-2]) == {"token"}
    text = "".join(e.data["text"] for e in events if e.event == "token")
    done = events[-1].data
    assert done["answer"] == text.strip()
    assert done["citations"] == events[-2].data["citations"] and done["citations"]


def test_entity_card_and_lookup(service: QAService) -> None:
    found = service.find_entities("非布司他")
    assert found and found[0].name == "非布司他片"
    card = service.entity_card(found[0].id)
    assert card is not None and "INDICATED_FOR" in card.grouped()


def test_health_reports_snapshot(service: QAService) -> None:
    h = service.health()
    assert h.status == "ok" and h.snapshot


@pytest.mark.parametrize(("question", "history", "note"), [
    ("菲布司他片的适应症是什么？", [], "注：问题中的“菲布司他片”按拼写相近的“非布司他片”回答"),
    ("有什么副作用", ["非布司他片的适应症是什么？"], "注：本轮问题没有写出药品或疾病名称，按上文的“非布司他片”回答。"),
    # a disease in a drug follow-up is the patient's condition, not a new topic (issue 17 point 5)
    ("痛风发作时一天吃几次", ["非布司他片的适应症是什么？"], "注：本轮问题中的“痛风”是用药的情况，按上文的“非布司他片”回答。"),
    ("非布司他片的适应症是什么？", [], ""),
])
def test_the_answer_says_how_its_entity_was_matched(service: QAService, question: str, history: list[str],
                                                    note: str) -> None:
    a = service.ask(question, history)
    assert a.grounded and a.unsupported == []
    tail = a.answer.rsplit("。", 2)[-2] + "。" if "注：" in a.answer else ""
    assert (note in a.answer) if note else "注：" not in a.answer
    assert not note or tail.startswith("注：")  # after the answer: the fact stays first
    assert not a.answer.startswith("注")


@pytest.mark.parametrize(("question", "says"), [
    ("非布司他片的化学结构式", "知识库中有“非布司他片”，但没有这个问题所问的信息"),
    ("痛风治疗费用大概多少", "知识库中没有找到痛风的费用信息"),
    ("非布司他片多少钱一盒", "知识库中没有找到非布司他片的费用信息"),
    ("非布司他片是哪个公司生产的", "知识库中没有找到非布司他片的生产厂家信息"),
    ("治疗痛风哪家医院最好", "知识库中没有找到痛风的医院与医生推荐信息"),
])
def test_unanswerable_questions_about_a_known_entity_say_what_is_missing(service: QAService, question: str,
                                                                         says: str) -> None:
    a = service.ask(question)
    assert not a.grounded and not a.citations
    assert a.answer.startswith(says)


def test_a_phase_that_refined_the_inherited_disease_is_said() -> None:
    from app.pipeline import _match_note
    from retrieval.types import Intent, LinkedEntity, Qualifiers, RetrievalResult

    refined = LinkedEntity(id="x", name="急性胰腺炎", type="Disease", mention="胰腺炎", score=1.0, method="history")
    result = RetrievalResult(question="急性期怎么治疗？", resolved_question="", entities=[refined],
                             intent=Intent(name="treatment"),
                             qualifiers=Qualifiers(phase="acute", refined_from="胰腺炎", words=["急性期"]))
    assert _match_note(result) == "注：本轮问题没有写出疾病名称，按上文的“胰腺炎”和本轮的“急性期”，回答“急性胰腺炎”。"
