"""The embedded ladybug store: the shared contract plus ladybug-specific behaviour."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.schema import Entity, NodeType, Relation, RelType
from kg.stores import StoreConfig, open_store
from kg.stores.base import StoreUnavailable
from kg.stores.ladybug import LadybugStore
from tests.kg.store_contract import StoreContract

REPO = Path(__file__).resolve().parents[2]


class TestLadybugStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[LadybugStore]:
        with LadybugStore(tmp_path / "nested" / "graph.lbug") as s:
            yield s


def _pair() -> tuple[Entity, Entity, Relation]:
    d = Entity.named("糖尿病", NodeType.DISEASE, described=True, sources=["xywy"], aliases=["消渴"])
    s = Entity.named("多饮", NodeType.SYMPTOM, sources=["xywy"])
    return d, s, Relation(d.id, RelType.HAS_SYMPTOM, s.id, "xywy", "symptom")


def test_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "g" / "graph.lbug"
    d, s, r = _pair()
    with LadybugStore(path) as store:
        store.upsert_entities([d, s])
        store.upsert_relations([r])
        snap = store.snapshot()
    assert path.exists()
    with LadybugStore(path) as store:
        assert store.snapshot() == snap
        assert store.stats().total_relationships == 1
        assert store.upsert_relations([r]) == 0  # key cache rebuilt from disk
        assert store.upsert_entities([d, s]) == 0
        assert [e.id for e in store.find_by_name("消渴")] == [d.id]


def test_snapshot_repeats_after_reset_and_same_ingest(tmp_path: Path) -> None:
    d, s, r = _pair()
    with LadybugStore(tmp_path / "a") as store:
        empty = store.snapshot()
        store.upsert_entities([d, s])
        store.upsert_relations([r])
        first = store.snapshot()
        store.clear()
        assert store.snapshot() == empty
        store.upsert_entities([d, s])
        store.upsert_relations([r])
        assert store.snapshot() == first


def test_directory_path_and_open_store(tmp_path: Path) -> None:
    store = open_store(StoreConfig(path=tmp_path), kind="embedded")
    assert isinstance(store, LadybugStore) and store.path == tmp_path / "graph.lbug"
    with store:
        assert store.stats().total_nodes == 0


def test_read_only(tmp_path: Path) -> None:
    path = tmp_path / "graph.lbug"
    with pytest.raises(StoreUnavailable, match="no graph"):
        LadybugStore(path, read_only=True).ping()
    d, s, r = _pair()
    with LadybugStore(path) as store:
        store.upsert_entities([d, s])
        store.upsert_relations([r])
    with LadybugStore(path, read_only=True) as r1, LadybugStore(path, read_only=True) as r2:
        assert r1.stats().total_nodes == r2.stats().total_nodes == 2
        assert r1.facts(d.id)[0].target_name == "多饮"
        with pytest.raises(PermissionError):
            r1.upsert_entities([d])


def test_all_facts(tmp_path: Path) -> None:
    d, s, r = _pair()
    with LadybugStore(tmp_path / "g") as store:
        store.upsert_entities([d, s])
        store.upsert_relations([r])
        batches = list(store.all_facts([RelType.HAS_SYMPTOM], batch_size=1))
        assert [[(f.entity_name, f.target_name, f.dataset)] for f in sum(batches, [])] == [
            [("糖尿病", "多饮", "xywy")]]
        assert list(store.all_facts([RelType.TREATED_BY])) == []


def test_bulk_stages_relations_until_exit(tmp_path: Path) -> None:
    d, s, r = _pair()
    other = Entity.named("口渴", NodeType.SYMPTOM)
    r2 = Relation(d.id, RelType.HAS_SYMPTOM, other.id, "xywy")
    r3 = Relation(d.id, RelType.COMPLICATION, d.id, "cmekg")
    with LadybugStore(tmp_path / "g") as store:
        with pytest.raises(RuntimeError, match="boom"), store.bulk():
            store.upsert_entities([d, s, other])
            store.upsert_relations([r])
            raise RuntimeError("boom")
        assert store.stats().total_nodes == 3 and store.stats().total_relationships == 0
        before = store.snapshot()
        with store.bulk():
            assert store.upsert_relations([r, r2]) == 2
            assert store.upsert_relations([r, r2, r3]) == 1  # staged keys count as stored
            assert store.stats().total_relationships == 0  # invisible until the block ends
            with pytest.raises(ValueError):
                store.upsert_relations([Relation(d.id, RelType.HAS_SYMPTOM, "e-nope", "x")])
        assert store.stats().relationships == {"HAS_SYMPTOM": 2, "COMPLICATION": 1}
        assert store.snapshot() != before
        after = store.snapshot()
        with store.bulk():
            assert store.upsert_relations([r, r2, r3]) == 0
        assert store.snapshot() == after


_HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from kg.stores.ladybug import LadybugStore
    s = LadybugStore(Path(sys.argv[1])); s.open(); print("ready", flush=True); time.sleep(60)
""")


def test_ping_reports_locked_and_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "graph.lbug"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        t0 = time.monotonic()
        with pytest.raises(StoreUnavailable):
            LadybugStore(path).ping(timeout_s=5)
        assert time.monotonic() - t0 < 5
    finally:
        holder.kill()
        holder.wait()
    junk = tmp_path / "junk.lbug"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailable):
        LadybugStore(junk).ping()


_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from kg.schema import Entity, NodeType, Relation, RelType
    from kg.stores.ladybug import LadybugStore
    ents = [Entity.named(f"病{i}", NodeType.DISEASE, described=True, sources=["s"]) for i in range(600)]
    rels = [Relation(ents[i].id, RelType.COMPLICATION, ents[(i * 7 + k) % 600].id, "s")
            for i in range(600) for k in range(1, 4)]
    with LadybugStore(Path(sys.argv[1])) as s:
        for start in range(0, 600, 200):
            s.upsert_entities(ents[start:start + 200])
            print("step", flush=True)
        for start in range(0, len(rels), 300):
            s.upsert_relations(rels[start:start + 300])
            print("step", flush=True)
        st = s.stats()
        print("done", st.total_nodes, st.total_relationships, s.snapshot(), flush=True)
""")


def test_sigkill_midway_then_rerun_matches_clean_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["writer", str(tmp_path / "clean")])
    exec(compile(_WRITER, "writer", "exec"), {"__name__": "writer"})  # the clean run, in-process
    expected = capsys.readouterr().out.strip().splitlines()[-1]
    assert expected.startswith("done 600 1800 ")
    path = tmp_path / "killed"
    victim = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    assert victim.stdout is not None
    for _ in range(5):  # 3 entity batches, then 2 of the 6 relation batches
        victim.stdout.readline()
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    rerun = subprocess.run([sys.executable, "-c", _WRITER, str(path)], cwd=REPO,
                           capture_output=True, text=True, timeout=120, check=True)
    assert rerun.stdout.strip().splitlines()[-1] == expected
