"""Issue 18, finding 6: a hung Bolt server (stopped: connections accepted, nothing answered) makes
card requests wait the store budget (QIZHEN_STORE_TIMEOUT_S, 2 s), not the request deadline (10 s),
and answer 503 JSON; each request-path read carries that budget as its transaction timeout."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from app.api.main import create_app
from tests.app.api_graph import DRUG, entities, relations, settings_for
from tests.app.hardening_helpers import FreezableProxy
from tests.conftest import BoltServer
from tests.servers import free_port, serve_app


@pytest.fixture
def neo4j_graph(bolt_server: BoltServer) -> Iterator[BoltServer]:
    """The API tests' small graph in the Bolt server's database."""
    from kg.stores.neo4j import Neo4jStore

    store = Neo4jStore(bolt_server.uri, bolt_server.user, bolt_server.password, bolt_server.database)
    try:
        store.clear()
        store.upsert_entities(entities())
        store.upsert_relations(relations())
    finally:
        store.close()
    yield bolt_server


@pytest.mark.integration
def test_cards_answer_503_within_the_store_budget_while_the_bolt_server_hangs(tmp_path: Path,
                                                                                neo4j_graph: BoltServer) -> None:
    target = urlsplit(neo4j_graph.uri)
    proxy = FreezableProxy((target.hostname or "127.0.0.1", target.port or 7687))
    settings = settings_for(tmp_path, graph="neo4j", neo4j_uri=f"bolt://127.0.0.1:{proxy.port}",
                            neo4j_user=neo4j_graph.user, neo4j_password=neo4j_graph.password,
                            neo4j_database=neo4j_graph.database, store_timeout_s=2.0, request_timeout_s=10.0)
    try:
        with serve_app(create_app(settings), free_port()) as url:
            ok = httpx.get(f"{url}/entities", params={"name": DRUG}, timeout=30)
            assert ok.status_code == 200, ok.text  # pooled connections to the server exist now
            proxy.freeze()

            async def burst() -> list[tuple[int, float, str]]:
                async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                    async def one(name: str) -> tuple[int, float, str]:
                        t = time.perf_counter()
                        r = await http.get("/entities", params={"name": name})
                        return r.status_code, time.perf_counter() - t, r.text

                    return await asyncio.gather(*(one(n) for n in (DRUG, "痛风", "别嘌醇片", "高尿酸血症")))

            results = asyncio.run(burst())
            print(f"\n4 parallel cards, Bolt server hung: {[(s, round(d, 2)) for s, d, _ in results]}")
            for status, took, text in results:
                assert status == 503 and json.loads(text)["error"] in ("graph_unavailable", "busy"), text
                assert "bolt" not in text and str(proxy.port) not in text
                assert took < 3.0  # the store budget (2 s), not the 10 s request deadline
            assert any(json.loads(text)["error"] == "graph_unavailable" for _, _, text in results)
            proxy.thaw()
    finally:
        proxy.close()
