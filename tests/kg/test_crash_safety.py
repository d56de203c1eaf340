"""Crash-safe embedded ingest (issue 12, finding 8): an ingest killed with SIGKILL at any point —
while entities are written, during the relationship COPY, during the checkpoint of the close —
leaves a graph that readers open read-only, holding the previous snapshot with all its rows; a
kill after the publish leaves the new one. A graph left needing checkpoint recovery by a writer
that wrote in place (an older version, another tool) is recovered by the first reader."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kg.ingest import ingest
from kg.sources import make_source
from kg.stores.base import StoreUnavailable
from kg.stores.ladybug import LadybugStore
from kg.stores.ladybug_files import sidecars
from tests.kg.crash_runner import FAULT_SIGNAL

REPO = Path(__file__).resolve().parents[2]
FIX = Path(__file__).parent / "fixtures"
BATCH = 400


def _dataset(path: Path, n: int, tag: str) -> Path:
    rows = []
    for i in range(n):
        rows.append({"kind": "entity", "name": f"{tag}病{i}", "type": "Disease", "properties": {"简介": f"第{i}号"}})
        rows.append({"kind": "relation", "source": f"{tag}病{i}", "type": "HAS_SYMPTOM", "target": f"{tag}症{i % 97}",
                     "target_type": "Symptom"})
        rows.append({"kind": "relation", "source": f"{tag}药{i % 131}", "type": "INDICATED_FOR",
                     "target": f"{tag}病{i}", "source_type": "Drug", "target_type": "Disease"})
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def _spawn(graph: Path, data: Path, kill_at: tuple[str, int] | None,
           fault: str | None = None) -> tuple[int, list[str]]:
    """Run tests/kg/crash_runner.py; SIGKILL it when its `kill_at[1]`-th `kill_at[0]` marker appears,
    or let it die at its named `fault` point."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.kg.crash_runner", str(graph), str(data), str(BATCH),
                             *([fault] if fault else [])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    seen: list[str] = []
    for line in proc.stdout:
        seen.append(line.strip())
        if kill_at is not None and seen.count(kill_at[0]) == kill_at[1]:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=300)
    err = proc.stderr.read()
    if kill_at is None and fault is None:
        assert proc.returncode == 0, err
    return proc.returncode, seen


def _state(graph: Path) -> tuple[str, int, int, dict[str, int]]:
    """(snapshot, nodes, relationships, nodes per type) through a read-only open, as a server sees it."""
    with LadybugStore(graph, read_only=True) as s:
        st = s.stats()
        return st.snapshot, st.total_nodes, st.total_relationships, st.nodes


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("crash-data")
    return _dataset(d / "old.jsonl", 60, "旧"), _dataset(d / "new.jsonl", 1500, "新")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, datasets: tuple[Path, Path]) -> dict[str, object]:
    """The previous graph (old data) and the new one (old + new data), built without kills."""
    old, new = datasets
    root = tmp_path_factory.mktemp("crash-ref")
    graph = root / "graph.lbug"
    with LadybugStore(graph) as s:
        ingest(s, [make_source("jsonl", [old])], batch_size=BATCH)
    shutil.copyfile(graph, root / "before.lbug")
    before = _state(graph)
    _, markers = _spawn(graph, new, None)
    return {"before_file": root / "before.lbug", "before": before, "after": _state(graph), "markers": markers}


@pytest.mark.parametrize("kill_at", [("entities", 3), ("relations", 1), ("close", 1), ("published", 1)])
def test_sigkill_leaves_previous_or_new_snapshot(tmp_path: Path, datasets: tuple[Path, Path],
                                                 reference: dict[str, object], kill_at: tuple[str, int]) -> None:
    _, new = datasets
    markers = reference["markers"]
    assert isinstance(markers, list) and markers.count(kill_at[0]) >= kill_at[1]  # the point is reached
    graph = tmp_path / "graph.lbug"
    shutil.copyfile(str(reference["before_file"]), graph)
    rc, _ = _spawn(graph, new, kill_at)
    assert rc == -signal.SIGKILL
    state = _state(graph)  # opens read-only: no "checkpoint recovery is pending"
    expected = reference["after"] if kill_at[0] == "published" else reference["before"]
    assert state == expected  # the snapshot with exactly its rows, never a mix
    assert not sidecars(graph)
    if kill_at[0] == "relations":
        _spawn(graph, new, None)  # a re-run after the kill converges on the clean result
        assert _state(graph) == reference["after"]
        assert not list(tmp_path.glob("graph.lbug.writing*"))


def test_a_writer_killed_inside_its_checkpoint_leaves_the_previous_snapshot(
        tmp_path: Path, datasets: tuple[Path, Path], reference: dict[str, object]) -> None:
    """The kill lands inside the checkpoint of the close every time (a fault point, not a race)."""
    _, new = datasets
    graph = tmp_path / "graph.lbug"
    shutil.copyfile(str(reference["before_file"]), graph)
    rc, seen = _spawn(graph, new, None, fault="checkpoint")
    assert rc == -FAULT_SIGNAL and seen[-1] == "close"
    assert list(tmp_path.glob("graph.lbug.writing*.shadow"))  # it died with the checkpoint's shadow file open
    assert _state(graph) == reference["before"]
    assert not sidecars(graph)
    _spawn(graph, new, None)  # the next writer cleans up and publishes
    assert _state(graph) == reference["after"] and not list(tmp_path.glob("graph.lbug.writing*"))


def test_a_second_writer_is_refused_while_one_writes(tmp_path: Path) -> None:
    with LadybugStore(tmp_path / "g") as first:
        first.stats()
        with pytest.raises(StoreUnavailable, match="another process is writing"):
            LadybugStore(tmp_path / "g").open()


def test_exception_in_the_block_keeps_the_previous_graph(tmp_path: Path) -> None:
    graph = tmp_path / "graph.lbug"
    with LadybugStore(graph) as s:
        ingest(s, [make_source("jsonl", [FIX / "jsonl" / "own.jsonl"])])
    before = _state(graph)
    with pytest.raises(RuntimeError, match="boom"), LadybugStore(graph) as s:
        ingest(s, [make_source("xywy", [FIX / "xywy"])])
        assert s.stats().total_nodes > before[1]
        raise RuntimeError("boom")
    assert _state(graph) == before


_IN_PLACE_WRITER = textwrap.dedent("""
    import sys
    import ladybug
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tests.kg.crash_runner import die_at_next_file_growth

    path, n = sys.argv[1], int(sys.argv[2])
    pq.write_table(pa.table({"id": [f"k{i}" for i in range(n)], "v": [f"value {i} " * 5 for i in range(n)]}),
                   path + ".parquet")
    db = ladybug.Database(path)
    conn = ladybug.Connection(db)
    conn.execute("CREATE NODE TABLE T(id STRING, v STRING, PRIMARY KEY(id))")
    conn.execute(f"COPY T FROM '{path}.parquet'")
    print("close", flush=True)
    die_at_next_file_growth()  # the fault point: the checkpoint's first write
    conn.close()
    db.close()
""")


def test_reader_recovers_a_graph_killed_in_its_checkpoint(tmp_path: Path) -> None:
    """A writer that wrote the file in place, killed during the checkpoint of its close, leaves a
    file every read-only open refuses ("checkpoint recovery is pending"): the store recovers it.
    The kill is injected at a named point (the checkpoint's first write), so it lands there every time."""
    import ladybug

    graph = tmp_path / "graph.lbug"
    done = subprocess.run([sys.executable, "-c", _IN_PLACE_WRITER, str(graph), "100000"], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == -FAULT_SIGNAL and done.stdout.strip() == "close", done.stderr
    assert sidecars(graph), "the kill landed outside the checkpoint"

    with pytest.raises(RuntimeError, match="recovery is pending"):
        ladybug.Database(str(graph), read_only=True)
    with LadybugStore(graph, read_only=True) as s:
        assert s._rows("MATCH (t:T) RETURN count(*)") == [[100000]]
    assert not sidecars(graph)
