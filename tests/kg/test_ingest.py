"""kg.ingest into the embedded store: merging, rejects, idempotency, crash recovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.ingest import IngestSummary, Progress, ingest
from kg.schema import Direction, Entity, NodeType, Relation, RelType, entity_id
from kg.sources import make_source
from kg.sources.base import KnownNames, Reject, Source, SourceRecord
from kg.stores.base import GraphStore, StoreUnavailable
from kg.stores.ladybug import LadybugStore

REPO = Path(__file__).resolve().parents[2]
FIX = Path(__file__).parent / "fixtures"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LadybugStore]:
    with LadybugStore(tmp_path / "graph") as s:
        yield s


def _fixture_sources() -> list[Source]:
    return [make_source("xywy", [FIX / "xywy"]), make_source("jsonl", [FIX / "jsonl" / "own.jsonl"]),
            make_source("caregpt", [FIX / "caregpt" / "drug.json"])]


def _counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    """Per-label and per-type counts (the snapshot is a hash chain of writes, so it may differ
    between two routes to the same content)."""
    s = store.stats()
    return s.nodes, s.relationships


def test_ingest_fixtures_summary_and_rejects(store: LadybugStore, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.jsonl"
    events: list[Progress] = []
    summary = ingest(store, _fixture_sources(), rejects_path=rejects, batch_size=7, on_progress=events.append)
    stats = store.stats()
    assert isinstance(summary, IngestSummary)
    assert (summary.nodes, summary.relationships) == (stats.total_nodes, stats.total_relationships)
    assert summary.snapshot == store.snapshot()
    assert summary.rejected == 9 and summary.rejects_path == str(rejects)
    lines = [json.loads(x) for x in rejects.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 9
    assert all({"source", "file", "record", "reason"} <= set(x) and x["reason"] for x in lines)
    assert {(x["source"], Path(x["file"]).name, x["record"]) for x in lines} >= {
        ("xywy", "medical_0.json", "1"), ("xywy", "medical_1.json", "*"), ("jsonl", "own.jsonl", "7")}
    assert [s.source for s in summary.sources] == ["xywy", "jsonl", "caregpt"]
    assert [s.rejected for s in summary.sources] == [3, 4, 2]
    assert {e.event for e in events} >= {"start", "batch", "end"}
    # valid records are all in: the record after the broken xywy file, the merged complication
    gout = store.get_entity(entity_id("痛风"))
    assert gout is not None and gout.described and "简介" in gout.properties
    atelectasis = store.get_entity(entity_id("肺不张"))
    assert atelectasis is not None and atelectasis.described and atelectasis.type == NodeType.DISEASE
    # caregpt found the jsonl drug by core name and the disease in its indication text
    facts = store.facts(entity_id("利可君"), direction=Direction.BOTH)
    assert {(f.relation, f.target_name, f.dataset) for f in facts} >= {
        (RelType.HAS_INGREDIENT, "利可君片", "caregpt"), (RelType.INDICATED_FOR, "白细胞减少症", "caregpt")}


def test_ingest_is_idempotent(store: LadybugStore) -> None:
    ingest(store, _fixture_sources(), batch_size=5)
    first, snap = _counts(store), store.snapshot()
    again = ingest(store, _fixture_sources(), batch_size=50)
    assert _counts(store) == first
    assert store.snapshot() == snap  # nothing new was written
    assert again.nodes == sum(first[0].values()) and again.relationships == sum(first[1].values())


def test_ingest_order_of_independent_sources_does_not_matter(tmp_path: Path) -> None:
    xywy, own = make_source("xywy", [FIX / "xywy"]), make_source("jsonl", [FIX / "jsonl" / "own.jsonl"])
    with LadybugStore(tmp_path / "a") as a, LadybugStore(tmp_path / "b") as b:
        ingest(a, [xywy, own])
        ingest(b, [own, xywy])
        assert _counts(a) == _counts(b)


class _Broken(Source):
    """A source that (wrongly) names an endpoint it never yielded."""

    name = "broken"

    def total(self) -> int | None:
        return 1

    def read(self, known: KnownNames | None = None) -> Iterator[SourceRecord | Reject]:
        drug = Entity.named("某药", NodeType.DRUG, described=True, sources=[self.name])
        yield SourceRecord(entities=[drug], relations=[
            Relation(drug.id, RelType.INDICATED_FOR, entity_id("从未出现"), self.name, "x")])


def test_relation_to_missing_endpoint_is_rejected_not_dropped(store: LadybugStore, tmp_path: Path) -> None:
    summary = ingest(store, [_Broken()], rejects_path=tmp_path / "r.jsonl")
    assert summary.rejected == 1 and summary.nodes == 1 and summary.relationships == 0
    assert "endpoint" in (tmp_path / "r.jsonl").read_text(encoding="utf-8")


def _write_dataset(path: Path, n: int) -> None:
    rows = []
    for i in range(n):
        rows.append({"kind": "entity", "name": f"病{i}", "type": "Disease", "properties": {"简介": f"第{i}号病"}})
        rows.append({"kind": "relation", "source": f"病{i}", "type": "HAS_SYMPTOM", "target": f"症{i % 97}",
                     "target_type": "Symptom"})
        rows.append({"kind": "relation", "source": f"药{i % 131}", "type": "INDICATED_FOR", "target": f"病{i}",
                     "source_type": "Drug", "target_type": "Disease"})
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")


_RUNNER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from kg.ingest import ingest
    from kg.sources import make_source
    from kg.stores.ladybug import LadybugStore

    def report(p):
        if p.event == "batch":
            print("batch", p.batches, flush=True)

    with LadybugStore(Path(sys.argv[1])) as store:
        ingest(store, [make_source("jsonl", [sys.argv[2]])], batch_size=40, on_progress=report)
    print("done", flush=True)
""")


def _run(graph: Path, data: Path, kill_after: int | None = None) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _RUNNER, str(graph), str(data)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert proc.stdout is not None
    for line in proc.stdout:
        if kill_after is not None and line.startswith("batch") and int(line.split()[1]) >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=300)
    if kill_after is None:
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    else:
        assert proc.returncode == -signal.SIGKILL


def test_sigkill_half_way_then_rerun_equals_clean_run(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    _write_dataset(data, 150)  # 450 lines → about 15 batches of 40 rows
    killed, clean = tmp_path / "killed" / "graph", tmp_path / "clean" / "graph"
    _run(killed, data, kill_after=4)
    assert not killed.exists()  # a killed ingest publishes nothing (tests/kg/test_crash_safety.py)
    _run(killed, data)
    _run(clean, data)
    with LadybugStore(killed) as a, LadybugStore(clean) as b:
        assert _counts(a) == _counts(b)
        assert a.snapshot() == b.snapshot()
        assert b.stats().total_nodes == 150 + 97 + 131


@pytest.mark.slow
def test_real_cmekg_and_xywy_acceptance(shared_data: Path, tmp_path: Path) -> None:
    """CMeKG alone ≥ 100k nodes / 500k relationships; + xywy: all its diseases, merged by name."""
    xywy_names: set[str] = set()
    for f in sorted((shared_data / "xywy").glob("medical_*.json")):
        xywy_names |= {r["gaishu_info"]["name"] for r in json.loads(f.read_bytes()).values()}
    with LadybugStore(tmp_path / "graph") as store:
        cmekg = ingest(store, [make_source("cmekg")])
        # the only rejects: ~40 figures and numbers CMeKG lists as names ("1", "6.4%", "38℃～40℃"), each
        # with a line for the relations dropped with it in every record that mentions it (170 in all)
        assert cmekg.nodes >= 100_000 and cmekg.relationships >= 500_000 and cmekg.rejected < 250
        ingest(store, [make_source("xywy", [shared_data / "xywy"])])
        found = {e.id: e for e in store.get_entities([entity_id(n) for n in xywy_names])}
        assert len(found) == len(xywy_names) >= 8_790
        assert all(e.described and "xywy" in e.sources for e in found.values())
        assert sum("cmekg" in e.sources for e in found.values()) > 5_000
        febuxostat = store.card_by_name("非布司他片")
        assert febuxostat is not None
        assert {"痛风", "高尿酸血症"} <= {f.target_name for f in febuxostat.facts
                                      if f.relation == RelType.INDICATED_FOR}
        pertussis = store.card_by_name("百日咳")
        assert pertussis is not None
        for rel in (RelType.HAS_SYMPTOM, RelType.NEEDS_CHECK, RelType.TREATED_BY):
            assert {f.dataset for f in pertussis.facts if f.relation == rel} == {"cmekg", "xywy"}


class _FailingStore(LadybugStore):
    """A real store whose relationship writes fail (e.g. the server went away mid-run)."""

    def upsert_relations(self, relations):  # type: ignore[no-untyped-def]
        raise StoreUnavailable("graph went away")


def test_store_error_on_the_writer_thread_surfaces(tmp_path: Path) -> None:
    with _FailingStore(tmp_path / "graph") as store, pytest.raises(StoreUnavailable, match="went away"):
        ingest(store, [make_source("xywy", [FIX / "xywy"])], batch_size=3)


def test_newline_name_is_rejected_with_its_line(store: LadybugStore, tmp_path: Path) -> None:
    data = tmp_path / "names.jsonl"
    rows = [{"kind": "entity", "name": "好药片", "type": "Drug"},
            {"kind": "entity", "name": "坏\n药片", "type": "Drug"},
            {"kind": "relation", "source": "好药片", "type": "INDICATED_FOR", "target": "头" * 1_000_000}]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.jsonl"
    summary = ingest(store, [make_source("jsonl", [data])], rejects_path=rejects)
    assert summary.nodes == 1 and summary.rejected == 2
    lines = [json.loads(x) for x in rejects.read_text(encoding="utf-8").splitlines()]
    assert [(x["file"], x["record"]) for x in lines] == [(str(data), "2"), (str(data), "3")]
    assert "U+000A" in lines[0]["reason"] and "longer than 200" in lines[1]["reason"]
