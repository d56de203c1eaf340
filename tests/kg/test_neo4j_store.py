"""The GraphStore contract on the Neo4j backend, against a real Bolt server (ArcadeDB in tests).

Server-backed tests are marked `integration`; the fault tests (closed port, silent port) need no
server and run everywhere."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from kg.schema import Entity, NodeType
from kg.stores import StoreConfig, open_store
from kg.stores.base import StoreUnavailable
from kg.stores.neo4j import Neo4jStore
from tests.conftest import BoltServer
from tests.kg.store_contract import StoreContract
from tests.servers import free_port


@pytest.mark.integration
class TestNeo4jStore(StoreContract):
    @pytest.fixture
    def store(self, bolt_server: BoltServer) -> Iterator[Neo4jStore]:
        s = Neo4jStore(bolt_server.uri, bolt_server.user, bolt_server.password, bolt_server.database)
        with s:
            s.clear()
            yield s

    def test_ping_ok(self, store: Neo4jStore) -> None:
        store.ping(timeout_s=5.0)

    def test_small_batches_still_write_everything(self, bolt_server: BoltServer, store: Neo4jStore) -> None:
        tiny = Neo4jStore(bolt_server.uri, bolt_server.user, bolt_server.password, bolt_server.database,
                          entity_batch=3, relation_batch=2)
        with tiny:
            ents = [Entity.named(f"症状{i}", NodeType.SYMPTOM) for i in range(10)]
            assert tiny.upsert_entities(ents) == 10
            assert {e.id for e in store.get_entities([e.id for e in ents])} == {e.id for e in ents}


def test_closed_port_ping_raises_store_unavailable() -> None:
    store = Neo4jStore(f"bolt://127.0.0.1:{free_port()}", "root", "x", "qizhen", timeout_s=1.0, retry_s=1.0)
    try:
        with pytest.raises(StoreUnavailable):
            store.ping(timeout_s=2.0)
        with pytest.raises(StoreUnavailable):
            store.stats()
    finally:
        store.close()


def test_silent_server_ping_raises_store_unavailable() -> None:
    """A port that accepts TCP but never speaks Bolt must not hang ping()."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        store = Neo4jStore(f"bolt://127.0.0.1:{port}", "root", "x", timeout_s=1.0, retry_s=1.0)
        try:
            with pytest.raises(StoreUnavailable):
                store.ping(timeout_s=1.5)
        finally:
            store.close()


def test_constructor_is_cheap_and_open_store_builds_it() -> None:
    store = open_store(StoreConfig(graph="neo4j", neo4j_uri="bolt://127.0.0.1:1", neo4j_user="u",
                                     neo4j_password="p", neo4j_database="d"))
    assert isinstance(store, Neo4jStore) and store.kind == "neo4j"
    store.close()  # never connected: nothing to do


@pytest.mark.integration
def test_concurrent_writers_merge(bolt_server: BoltServer) -> None:
    """Two clients upserting the same new ids at once: both succeed and the node holds both sources
    (a lost CREATE race surfaces as a constraint error that the store resolves by re-merging)."""
    import threading

    stores = [Neo4jStore(bolt_server.uri, bolt_server.user, bolt_server.password, bolt_server.database,
                         entity_batch=50) for _ in range(2)]
    stores[0].clear()
    errors: list[BaseException] = []

    def write(store: Neo4jStore, source: str) -> None:
        try:
            store.upsert_entities([Entity.named(f"并发{i}", NodeType.SYMPTOM, sources=[source])
                                   for i in range(300)])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, f"src{k}")) for k, s in enumerate(stores)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        got = stores[0].get_entities([Entity.named(f"并发{i}", NodeType.SYMPTOM).id for i in range(300)])
        assert len(got) == 300
        assert all(e.sources == ["src0", "src1"] for e in got)
        assert stores[0].stats().total_nodes == 300
    finally:
        stores[0].clear()
        for s in stores:
            s.close()
