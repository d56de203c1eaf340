"""Fixtures for the graph tests: a real Bolt (Neo4j protocol) server for the Neo4j backend.

If QIZHEN_TEST_BOLT_URI is set (CI starts one with .ci/start_bolt.sh), that server is used with
QIZHEN_TEST_BOLT_USER (default root), QIZHEN_TEST_BOLT_PASSWORD and QIZHEN_TEST_BOLT_DATABASE
(default qizhen). Otherwise ArcadeDB's Bolt server (arcadedb-embedded) is started with
bench/bolt_server.py in a child process, on free loopback ports in a temporary directory, once per
session, and stopped at teardown. Not in-process: a JVM inside the test interpreter made it crash
at exit (exit code 139 after a green run, issue 12).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


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
    if importlib.util.find_spec("arcadedb_embedded") is None:  # found, not imported: no JVM in this process
        pytest.skip("no Bolt server: set QIZHEN_TEST_BOLT_URI or pip install arcadedb-embedded")
    root: Path = tmp_path_factory.mktemp("arcadedb")
    password = "qizhen-test-" + os.urandom(4).hex()
    bolt_port = _free_port()
    database = "qizhen_test"
    log = root / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "bolt_server.py"), "--root", str(root / "db"),
                                 "--port", str(bolt_port), "--http-port", str(_free_port()),
                                 "--password", password, "--database", database],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180  # a cold JVM on a busy 2-core machine is slow
        while b"READY bolt://" not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ArcadeDB's Bolt server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        if not _wait_for_port(bolt_port, 30):
            pytest.fail(f"ArcadeDB's Bolt port {bolt_port} never opened")
        yield BoltServer(f"bolt://127.0.0.1:{bolt_port}", "root", password, database)
    finally:
        proc.terminate()  # bench/bolt_server.py stops the server on SIGTERM
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
