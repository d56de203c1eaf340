"""The REST API over the real QA pipeline and a small real graph (embedded ladybug)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.pipeline import QAService
from app.settings import Settings
from tests.app.api_graph import ALLOPURINOL, DRUG, entity_id_of, settings_for

os.environ.setdefault("HF_HUB_OFFLINE", "1")
QUESTION = "非布司他片的适应症是什么？"


@pytest.fixture(scope="module")
def client(graph_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(graph_home)), raise_server_exceptions=False) as c:
        yield c


def _events(text: str) -> list[tuple[str, dict[str, object]]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_ask_answers_with_citations(client: TestClient) -> None:
    r = client.post("/ask", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["grounded"] is True
    assert "痛风" in body["answer"]
    assert any(e["id"] == entity_id_of(DRUG) for e in body["entities"])
    assert body["citations"] and all(c["entity_id"] for c in body["citations"])
    assert "[1]" in body["answer"] or any(f"[{c['index']}]" in body["answer"] for c in body["citations"])


def test_ask_is_the_same_object_as_the_library(client: TestClient, graph_home: Path) -> None:
    r = client.post("/ask", json={"question": QUESTION})
    service = client.app.state.runtime.service
    direct = service.ask(QUESTION).model_dump(mode="json")
    body = r.json()
    for key in ("answer", "grounded", "intent", "entities", "citations", "snapshot"):
        assert body[key] == direct[key]


def test_follow_up_uses_history(client: TestClient) -> None:
    first = client.post("/ask", json={"question": QUESTION}).json()
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["answer"]}]
    r = client.post("/ask", json={"question": "有什么副作用", "history": history})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["grounded"] is True
    assert "肝功能异常" in body["answer"]
    assert {c["entity"] for c in body["citations"]} == {DRUG}


def test_stream_event_order_and_citations_survive(client: TestClient) -> None:
    r = client.post("/ask/stream", json={"question": QUESTION})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    names = [e for e, _ in events]
    assert names[0] == "evidence" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"token"} and len(names) >= 4
    assert events[0][1]["evidence"]
    done = events[-1][1]
    assert done["grounded"] is True and done["citations"]
    assert done["citations"] == events[-2][1]["citations"]
    plain = client.post("/ask", json={"question": QUESTION}).json()
    assert done["answer"] == plain["answer"] and done["citations"] == plain["citations"]


def test_entity_card_by_id_and_by_name(client: TestClient) -> None:
    r = client.get(f"/entities/{entity_id_of(DRUG)}")
    assert r.status_code == 200, r.text
    card = r.json()
    assert card["entity"]["name"] == DRUG and card["entity"]["type"] == "Drug"
    assert "非布司他" in card["entity"]["aliases"] and card["entity"]["properties"]["简介"]
    groups = {(g["relation"], g["direction"]): g["facts"] for g in card["groups"]}
    indicated = {f["target_name"]: f["datasets"] for f in groups[("INDICATED_FOR", "out")]}
    assert sorted(indicated["痛风"]) == ["caregpt", "cmekg"]
    assert {f["target_name"] for f in groups[("ADVERSE_REACTION", "out")]} == {"肝功能异常", "恶心", "皮疹"}
    by_alias = client.get("/entities", params={"name": "别嘌醇"})
    assert by_alias.status_code == 200 and by_alias.json()["entity"]["name"] == ALLOPURINOL


def test_unknown_entity_and_route_are_json_404(client: TestClient) -> None:
    for path in ("/entities/e0000000000000000", "/entities?name=不存在的药", "/no/such/route"):
        r = client.get(path)
        assert r.status_code == 404
        assert set(r.json()) == {"error", "message"}
        assert _is_chinese(r.json()["message"])


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"question": ""}, 422),
        ({"question": "   "}, 422),
        ({"question": 3}, 422),
        ({"question": "x", "history": [{"role": "doctor", "content": "hi"}]}, 422),
        ({"question": "x", "top_k": 0}, 422),
        ({"question": "痛" * 501}, 413),
    ],
)
def test_invalid_bodies(client: TestClient, body: dict[str, object], status: int) -> None:
    r = client.post("/ask", json=body)
    assert r.status_code == status
    assert set(r.json()) == {"error", "message"} and _is_chinese(r.json()["message"])


def test_malformed_json_is_422(client: TestClient) -> None:
    r = client.post("/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_question_limit_is_configurable(graph_home: Path) -> None:
    with TestClient(create_app(settings_for(graph_home, max_question_chars=10))) as c:
        assert c.post("/ask", json={"question": "痛" * 11}).status_code == 413
        assert c.post("/ask/stream", json={"question": "痛" * 11}).status_code == 413
        assert c.post("/ask", json={"question": "痛" * 10}).status_code == 200


def test_api_key_required_when_set(graph_home: Path) -> None:
    with TestClient(create_app(settings_for(graph_home, api_key="s3cret"))) as c:
        for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            r = c.post("/ask", json={"question": QUESTION}, headers=headers)
            assert r.status_code == 401 and r.json()["error"] == "unauthorized"
        assert c.get(f"/entities/{entity_id_of(DRUG)}").status_code == 401
        assert c.post("/ask", json={"question": QUESTION}, headers={"X-API-Key": "s3cret"}).status_code == 200
        assert c.post("/ask/stream", json={"question": QUESTION},
                      headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/health").status_code == 200  # probes need no key
        for path in ("/metrics", "/docs", "/redoc", "/openapi.json"):  # they describe the deployment
            assert c.get(path).status_code == 401, path
            assert c.get(path, headers={"X-API-Key": "s3cret"}).status_code == 200, path


def test_docs_and_metrics_can_be_made_public(graph_home: Path) -> None:
    settings = settings_for(graph_home, api_key="s3cret", public_docs=True, public_metrics=True)
    with TestClient(create_app(settings)) as c:
        for path in ("/metrics", "/docs", "/redoc", "/openapi.json"):
            assert c.get(path).status_code == 200, path
        assert c.post("/ask", json={"question": QUESTION}).status_code == 401


class ExplodingService(QAService):
    """The real service whose answer step hits an unexpected bug."""

    def ask(self, *args: object, **kwargs: object):  # type: ignore[override]
        raise RuntimeError("secret internal detail /etc/passwd")


def test_unexpected_errors_never_leak(graph_home: Path) -> None:
    settings = settings_for(graph_home)
    with TestClient(create_app(settings, ExplodingService(settings)),
                    raise_server_exceptions=False) as c:
        r = c.post("/ask", json={"question": QUESTION})
    assert r.status_code == 500
    assert r.json()["error"] == "internal_error"
    assert "secret" not in r.text and "Traceback" not in r.text


def test_every_answer_is_audited_without_the_question(tmp_path: Path, graph_home: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    with TestClient(create_app(settings_for(graph_home, audit_log=audit))) as c:
        answer = c.post("/ask", json={"question": QUESTION}).json()
        c.post("/ask/stream", json={"question": QUESTION})
    text = audit.read_text(encoding="utf-8")
    assert QUESTION not in text and "适应症" not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["route"] for r in records] == ["/ask", "/ask/stream"]
    rec = records[0]
    assert rec["question_sha256"] == hashlib.sha256(QUESTION.encode()).hexdigest()
    assert entity_id_of(DRUG) in rec["entity_ids"]
    assert len(rec["evidence_ids"]) == len(answer["citations"]) and rec["snapshot"] == answer["snapshot"]
    assert rec["latency_ms"] > 0 and rec["grounded"] is True
    assert set(rec) == {"ts", "route", "question_sha256", "entity_ids", "evidence_ids", "snapshot", "generator",
                        "intent", "grounded", "latency_ms", "outcome"}
    assert {r["outcome"] for r in records} == {"answered"}


def test_health_and_metrics(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["snapshot"]
    client.post("/ask", json={"question": QUESTION})
    text = client.get("/metrics").text
    assert 'qizhen_http_requests_total{method="POST",route="/ask",status="200"}' in text
    assert 'qizhen_answers_total{generator="extractive",outcome="grounded"}' in text
    assert "qizhen_http_request_duration_seconds_bucket" in text


def test_cors_origins_from_settings(graph_home: Path) -> None:
    with TestClient(create_app(settings_for(graph_home, cors_origins=["https://clinic.example"]))) as c:
        r = c.options("/ask", headers={"Origin": "https://clinic.example", "Access-Control-Request-Method": "POST"})
        assert r.headers["access-control-allow-origin"] == "https://clinic.example"
        r = c.options("/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in r.headers


def test_openapi_declares_response_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ask = spec["paths"]["/ask"]["post"]["responses"]
    assert ask["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Answer")
    assert {"401", "413", "422", "503"} <= set(ask)
    assert "text/event-stream" in spec["paths"]["/ask/stream"]["post"]["responses"]["200"]["content"]
    card = spec["paths"]["/entities/{entity_id}"]["get"]["responses"]["200"]
    assert card["content"]["application/json"]["schema"]["$ref"].endswith("/EntityCardOut")


def test_settings_object_is_injected_not_global(client: TestClient, graph_home: Path) -> None:
    assert isinstance(client.app.state.runtime.settings, Settings)
    assert client.app.state.runtime.settings.home == graph_home


def test_only_enabled_generators_may_be_requested(client: TestClient, graph_home: Path) -> None:
    r = client.post("/ask", json={"question": QUESTION, "generator": "hf"})
    assert r.status_code == 422 and r.json()["error"] == "unknown_generator"
    assert client.post("/ask", json={"question": QUESTION, "generator": "extractive"}).status_code == 200
    spec = client.get("/openapi.json").json()
    prop = spec["components"]["schemas"]["AskRequest"]["properties"]["generator"]
    assert {"type": "string", "enum": ["extractive"]} in prop["anyOf"]


def test_openapi_states_the_length_limits(graph_home: Path) -> None:
    with TestClient(create_app(settings_for(graph_home, max_question_chars=64))) as c:
        models = c.get("/openapi.json").json()["components"]["schemas"]
    assert models["AskRequest"]["properties"]["question"]["maxLength"] == 64
    assert models["Turn"]["properties"]["content"]["maxLength"] == 64 * 8


def test_warm_heap_is_frozen_while_serving_and_released_after(graph_home: Path) -> None:
    """A full garbage collection over the warmed service paused every request of a worker (0.6 s on
    the full graph): the lifespan freezes the heap after warm-up and unfreezes it at shutdown."""
    import gc

    gc.unfreeze()
    with TestClient(create_app(settings_for(graph_home))) as c:
        # the first check already knows the files it loaded: never "stale" right after startup
        assert c.get("/health").json()["graph"] == "ok"
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
