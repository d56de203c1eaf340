"""The UI's two clients give the same answers: REST (over the real app) and in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.feedback import FactRef, FeedbackIn, feedback_report
from app.pipeline import QAService
from models.generators.base import Turn
from tests.app.api_graph import DRUG, build_graph, entity_id_of
from ui.client import ClientError, QAClient
from ui.client.http import HttpClient
from ui.client.inprocess import InProcessClient

QUESTION = "非布司他片的适应症是什么？"


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, QAClient]]:
    home = tmp_path_factory.mktemp("ui-client-home")
    settings = build_graph(home)
    with TestClient(create_app(settings), raise_server_exceptions=False) as http:
        service = QAService(settings)
        service.warm_up()
        yield {"http": HttpClient("http://testserver", http=http), "inprocess": InProcessClient(service)}


@pytest.mark.parametrize("kind", ["http", "inprocess"])
def test_stream_then_follow_up(clients: dict[str, QAClient], kind: str) -> None:
    client = clients[kind]
    items = list(client.ask_stream(QUESTION))
    assert items[0].event == "evidence" and items[-1].event == "done"
    first = items[-1].data
    assert first["grounded"] and first["citations"]
    history = [Turn(role="user", content=QUESTION), Turn(role="assistant", content=first["answer"])]
    follow = client.ask("有什么副作用", history)
    assert follow.grounded and "肝功能异常" in follow.answer


@pytest.mark.parametrize("kind", ["http", "inprocess"])
def test_cards(clients: dict[str, QAClient], kind: str) -> None:
    client = clients[kind]
    card = client.entity_card(entity_id_of(DRUG))
    assert card is not None and card.entity.name == DRUG
    assert client.entity_card("e0000000000000000") is None
    assert card.sections[0].title == "适应症" and card.summary[0].label == "通用名"
    assert client.entity_by_name("非布司他") is not None
    assert [r.name for r in client.resolve(["痛风", "没有这个病"])] == ["痛风"]
    assert client.health()["status"] == "ok"


@pytest.mark.parametrize("kind", ["http", "inprocess"])
def test_feedback_reaches_the_audit_log(clients: dict[str, QAClient], kind: str) -> None:
    client = clients[kind]
    fact = FactRef(key=f"k-{kind}", entity_id=entity_id_of(DRUG), entity=DRUG, field="INDICATED_FOR", text="t")
    client.feedback(FeedbackIn(rating="wrong_fact", target="card_item", facts=[fact]))
    inproc = clients["inprocess"]
    assert isinstance(inproc, InProcessClient)
    assert any(f.key == f"k-{kind}" for f in feedback_report(Path(inproc.audit.path)).facts)


def test_http_errors_become_client_errors(clients: dict[str, QAClient]) -> None:
    with pytest.raises(ClientError) as err:
        clients["http"].ask("痛" * 600)
    assert err.value.status == 413 and err.value.code == "question_too_long"


def test_inprocess_answers_are_audited(clients: dict[str, QAClient]) -> None:
    client = clients["inprocess"]
    assert isinstance(client, InProcessClient)
    client.ask(QUESTION)
    lines = Path(client.audit.path).read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    assert last["route"] == "ui" and QUESTION not in lines[-1]


def test_unreachable_api_is_a_client_error() -> None:
    with pytest.raises(ClientError) as err:
        HttpClient("http://127.0.0.1:9", timeout_s=2).health()
    assert err.value.code == "unreachable"


@pytest.mark.parametrize("kind", ["http", "inprocess"])
def test_a_feedback_flood_is_refused_in_chinese(clients: dict[str, QAClient], kind: str) -> None:
    """Both clients: past the burst (20) a reporter's posts are refused with rate_limited."""
    client = clients[kind]
    fact = FactRef(key=f"flood-{kind}", entity_id=entity_id_of(DRUG), entity=DRUG, field="INDICATED_FOR", text="t")
    with pytest.raises(ClientError) as refused:
        for _ in range(200):  # the bucket refills 0.5 per second: posts far faster than that empty it
            client.feedback(FeedbackIn(rating="wrong_fact", target="card_item", facts=[fact]), reporter="flood")
    assert refused.value.code == "rate_limited" and "秒后再试" in refused.value.message
