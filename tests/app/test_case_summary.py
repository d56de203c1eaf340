"""Case-summary mode: a pasted 1,500-character summary lists the drugs and diseases it names, with
questions to pick; the API route and the in-process client give the same object."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.case_summary import MAX_SUMMARY_CHARS, find_in_summary
from app.pipeline import QAService
from tests.app.api_graph import ALLOPURINOL, DRUG, case_summary_text, settings_for


def summary_text() -> str:
    return case_summary_text(1500)


@pytest.fixture(scope="module")
def service(graph_home: Path) -> QAService:
    svc = QAService(settings_for(graph_home))
    svc.warm_up(full=False)
    return svc


def test_summary_lists_drugs_and_diseases_with_questions(service: QAService) -> None:
    text = summary_text()
    assert len(text) == 1500 < MAX_SUMMARY_CHARS
    out = find_in_summary(service, text)
    assert [d.name for d in out.drugs] == [ALLOPURINOL, DRUG]
    assert {"痛风", "高尿酸血症"} <= {d.name for d in out.diseases}
    questions = [q.question for q in out.questions]
    assert f"{DRUG}的禁忌和注意事项是什么？" in questions and f"{ALLOPURINOL}和{DRUG}能一起吃吗？" in questions
    assert "痛风用什么药治疗？" in questions


def test_api_route_accepts_2000_characters_and_refuses_more(graph_home: Path) -> None:
    with TestClient(create_app(settings_for(graph_home)), raise_server_exceptions=False) as client:
        ok = client.post("/entities/in-text", json={"text": summary_text()})
        assert ok.status_code == 200, ok.text
        assert [d["name"] for d in ok.json()["drugs"]] == [ALLOPURINOL, DRUG]
        too_long = client.post("/entities/in-text", json={"text": "痛" * (MAX_SUMMARY_CHARS + 1)})
        assert too_long.status_code == 422
