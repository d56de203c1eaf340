"""Fixtures for the graph tests: a real Bolt (Neo4j protocol) server for the Neo4j backend.

If QIZHEN_TEST_BOLT_URI is set (CI starts one with .ci/start_bolt.sh), that server is used with
QIZHEN_TEST_BOLT_USER (default root), QIZHEN_TEST_BOLT_PASSWORD and QIZHEN_TEST_BOLT_DATABASE
(default qizhen). Otherwise ArcadeDB's Bolt server is started in-process from arcadedb-embedded on
free loopback ports in a temporary directory, once per session, and stopped at teardown (its JVM
threads would otherwise keep the interpreter alive).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class BoltServer:
    uri: str
    user: str
    password: str
    database: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltServer]:
    """A reachable Bolt server with an empty-or-clearable database for this session."""
    pytest.importorskip("neo4j", reason="the neo4j driver is not installed: pip install 'qizhen[neo4j]'")
    uri = os.environ.get("QIZHEN_TEST_BOLT_URI")
    if uri:
        yield BoltServer(
            uri=uri,
            user=os.environ.get("QIZHEN_TEST_BOLT_USER", "root"),
            password=os.environ.get("QIZHEN_TEST_BOLT_PASSWORD", ""),
            database=os.environ.get("QIZHEN_TEST_BOLT_DATABASE", "qizhen"),
        )
        return
    try:
        from arcadedb_embedded.server import ArcadeDBServer
    except ImportError as exc:
        pytest.skip(f"no Bolt server: set QIZHEN_TEST_BOLT_URI or pip install arcadedb-embedded ({exc})")

    root: Path = tmp_path_factory.mktemp("arcadedb")
    password = "qizhen-test-" + os.urandom(4).hex()
    bolt_port, http_port = _free_port(), _free_port()
    server = ArcadeDBServer(
        root_path=str(root),
        root_password=password,
        config={
            "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "bolt_port": bolt_port,
            "http_port": http_port,
            "host": "127.0.0.1",
        },
        jvm_kwargs={"heap_size": "1g"},
    )
    database = "qizhen_test"
    server.start()
    try:
        server.create_database(database)
        if not _wait_for_port(bolt_port, 30):
            pytest.fail(f"ArcadeDB's Bolt port {bolt_port} never opened")
        yield BoltServer(f"bolt://127.0.0.1:{bolt_port}", "root", password, database)
    finally:
        server.stop()
