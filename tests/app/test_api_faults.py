"""Fault handling: an unreachable graph store gives 503 quickly and a degraded /health."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from tests.app.api_graph import settings_for
from tests.servers import free_port


def _closed_port_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    pytest.importorskip("neo4j")
    return settings_for(tmp_path, graph="neo4j", neo4j_uri=f"bolt://127.0.0.1:{free_port()}", store_timeout_s=2.0)


def test_neo4j_on_a_closed_port_gives_503_and_degraded_health(tmp_path: Path) -> None:
    with TestClient(create_app(_closed_port_settings(tmp_path)), raise_server_exceptions=False) as c:
        for method, path, body in (("POST", "/ask", {"question": "非布司他片的适应症是什么？"}),
                                   ("POST", "/ask/stream", {"question": "非布司他片的适应症是什么？"}),
                                   ("GET", "/entities/e0123456789abcdef", None),
                                   ("GET", "/entities?name=痛风", None)):
            started = time.perf_counter()
            r = c.request(method, path, json=body)
            assert time.perf_counter() - started < 2.5
            assert r.status_code == 503, (path, r.text)
            assert r.json()["error"] == "graph_unavailable" and "知识图谱" in r.json()["message"]
            assert "bolt" not in r.text and "127.0.0.1" not in r.text
        started = time.perf_counter()
        health = c.get("/health")
        assert time.perf_counter() - started < 2.5
        assert health.status_code == 200 and health.json()["status"] == "degraded"


def test_unopenable_embedded_graph_gives_503(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "graph").write_bytes(b"this is not a graph database")
    with TestClient(create_app(settings_for(home)), raise_server_exceptions=False) as c:
        r = c.post("/ask", json={"question": "痛风有哪些症状？"})
        assert r.status_code == 503, r.text
        assert c.get("/health").json()["status"] == "degraded"
