"""Feedback: written to the audit log beside the answers, reported per fact, over REST and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from app.audit import AuditLog
from app.feedback import FactRef, FeedbackIn, feedback_report, record_feedback

FACT = FactRef(key="e1:INDICATED_FOR:1", entity_id="e1", entity="非布司他片", field="INDICATED_FOR",
               text="非布司他片的适应症：痛风", source="cmekg")


def test_records_go_to_the_audit_log_and_the_report_counts_facts(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.path.write_text('{"route":"/ask","question_sha256":"x"}\nnot json\n', encoding="utf-8")
    record_feedback(log, FeedbackIn(rating="up", target="answer", snapshot="s1", evidence_ids=["e1:INDICATED_FOR:1"]),
                    "ui", reporter="ui:a")
    for snap, who in (("s1", "b"), ("s2", "c")):
        record_feedback(log, FeedbackIn(rating="wrong_fact", target="answer", snapshot=snap, facts=[FACT]), "/feedback",
                        reporter=who)
    other = FACT.model_copy(update={"key": "e1:adverse_reaction:e9", "text": "非布司他片的不良反应：恶心"})
    record_feedback(log, FeedbackIn(rating="wrong_fact", target="card_item", facts=[other]), "ui", reporter="ui:a")
    log.close()
    lines = [json.loads(x) for x in log.path.read_text(encoding="utf-8").splitlines()[2:]]
    assert all(x["event"] == "feedback" for x in lines) and lines[0]["evidence_ids"] == ["e1:INDICATED_FOR:1"]
    assert "ui:a" not in log.path.read_text(encoding="utf-8")  # reporters are stored as keyed hashes only
    report = feedback_report(log.path)
    assert (report.up, report.down, report.wrong_fact_reports, report.reporters) == (1, 0, 3, 3)
    assert [(f.key, f.count) for f in report.facts] == [(FACT.key, 2), (other.key, 1)]
    assert report.facts[0].snapshots == ["s1", "s2"]


def test_the_report_counts_distinct_reporters_not_repeated_posts(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    for _ in range(50):
        record_feedback(log, FeedbackIn(rating="wrong_fact", target="answer", snapshot="s", facts=[FACT, FACT]),
                        "/feedback", reporter="addr:10.0.0.1")
        record_feedback(log, FeedbackIn(rating="down", target="answer", question_sha256="q"), "/feedback",
                        reporter="addr:10.0.0.1")
    record_feedback(log, FeedbackIn(rating="wrong_fact", target="answer", snapshot="s", facts=[FACT]), "/feedback",
                    reporter="addr:10.0.0.2")
    report = feedback_report(log.path)
    assert (report.facts[0].count, report.facts[0].reports) == (2, 51)
    assert (report.down, report.wrong_fact_reports, report.posts, report.reporters) == (1, 2, 101, 2)


def test_repeated_items_in_one_post_count_once() -> None:
    fb = FeedbackIn(rating="wrong_fact", target="answer", entity_ids=["e1", "e1", "e2"],
                    evidence_ids=["a", "b", "a"], facts=[FACT, FACT.model_copy(update={"text": "again"})])
    assert (fb.entity_ids, fb.evidence_ids, [f.text for f in fb.facts]) == (["e1", "e2"], ["a", "b"], [FACT.text])


def test_the_audit_log_is_rotated_by_size_and_keeps_n_files(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=4096, keep=2)
    for i in range(400):
        record_feedback(log, FeedbackIn(rating="wrong_fact", target="answer", snapshot=f"s{i}", facts=[FACT]),
                        "/feedback", reporter=f"r{i}")
    log.close()
    parts = sorted(p.name for p in tmp_path.glob("audit.jsonl*") if not p.name.endswith((".lock", ".key")))
    assert parts == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]
    assert all((tmp_path / p).stat().st_size <= 4096 for p in parts)
    report = feedback_report(log.path)  # reads the rotated files too, oldest first, whole lines only
    assert 0 < report.posts < 400 and report.facts[0].count == report.posts
    assert report.facts[0].snapshots[-1] == "s399"


def test_cli_report_json(tmp_path: Path) -> None:
    from app.cli import app

    log = AuditLog(tmp_path / "audit.jsonl")
    record_feedback(log, FeedbackIn(rating="wrong_fact", target="answer", facts=[FACT]), "ui", reporter="ui:a")
    log.close()
    res = CliRunner().invoke(app, ["feedback", "report", "--json", "--audit", str(log.path)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["facts"][0]["count"] == 1


def test_a_reported_facts_notes_reach_the_report_distinct_and_bounded(tmp_path: Path) -> None:
    """A clinician's optional note on a wrong fact is what the maintainer reads beside it."""
    from app.cli import app
    from app.feedback import MAX_NOTES_PER_FACT

    log = AuditLog(tmp_path / "audit.jsonl")
    record_feedback(log, FeedbackIn(rating="wrong_fact", target="card_item", facts=[FACT], note=" 说明书未列此项 "),
                    "ui", reporter="ui:a")
    record_feedback(log, FeedbackIn(rating="wrong_fact", target="answer", facts=[FACT]), "ui", reporter="ui:b")
    log.close()
    res = CliRunner().invoke(app, ["feedback", "report", "--audit", str(log.path)])
    assert res.exit_code == 0, res.output
    assert "note: 说明书未列此项" in res.stdout and res.stdout.count("note:") == 1
    res = CliRunner().invoke(app, ["feedback", "report", "--json", "--audit", str(log.path)])
    assert json.loads(res.stdout)["facts"][0]["notes"] == ["说明书未列此项"]

    log = AuditLog(tmp_path / "flood.jsonl")
    for i in range(30):  # one reporter repeating notes: distinct texts, the latest kept, bounded
        record_feedback(log, FeedbackIn(rating="wrong_fact", target="answer", facts=[FACT], note=f"n{i % 15}"),
                        "/feedback", reporter="addr:10.0.0.1")
    log.close()
    notes = feedback_report(log.path).facts[0].notes
    assert notes == [f"n{i}" for i in range(15 - MAX_NOTES_PER_FACT, 15)]


def test_post_feedback_writes_the_audit_log(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from app.api.main import create_app
    from tests.app.api_graph import build_graph

    settings = build_graph(tmp_path)
    with TestClient(create_app(settings)) as client:
        r = client.post("/feedback", json={"rating": "wrong_fact", "target": "answer", "snapshot": "s",
                                           "facts": [FACT.model_dump()]})
        assert r.status_code == 201, r.text
        assert client.post("/feedback", json={"rating": "meh", "target": "answer"}).status_code == 422
    assert feedback_report(settings.audit_path).facts[0].key == FACT.key


def test_oversized_fields_and_lists_are_refused_with_422_json(graph_home: Path) -> None:
    from fastapi.testclient import TestClient

    from app.api.main import create_app
    from tests.app.api_graph import settings_for

    fact = FACT.model_dump()
    bodies = [
        {"rating": "up", "target": "answer", "note": "x" * 501},
        {"rating": "up", "target": "answer", "entity_ids": ["e" * 65]},
        {"rating": "up", "target": "answer", "evidence_ids": [f"e{i}" for i in range(61)]},
        {"rating": "wrong_fact", "target": "answer", "facts": [{**fact, "key": f"k{i}"} for i in range(31)]},
        {"rating": "wrong_fact", "target": "answer", "facts": [{**fact, "text": "长" * 601}]},
    ]
    with TestClient(create_app(settings_for(graph_home))) as client:
        for body in bodies:
            r = client.post("/feedback", json=body)
            assert r.status_code == 422 and r.json()["error"] == "invalid_request", r.text


def test_a_feedback_flood_gets_429_after_the_burst_and_the_audit_stays_bounded(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from app.api.main import create_app
    from tests.app.api_graph import build_graph

    # one token per 1000 minutes after the burst: the test cannot race a refill
    settings = build_graph(tmp_path).model_copy(update={"feedback_burst": 5, "feedback_rate_per_min": 0.001,
                                                        "audit_max_bytes": 8192, "audit_keep": 1})
    big = {"rating": "wrong_fact", "target": "answer", "snapshot": "s",
           "facts": [{**FACT.model_dump(), "key": f"k{i}", "text": "长" * 600} for i in range(30)]}
    with TestClient(create_app(settings)) as client:
        statuses = [client.post("/feedback", json=big).status_code for _ in range(40)]
        refused = client.post("/feedback", json=big)
        other = client.post("/feedback", json={"rating": "junk"})  # refused before the body is even validated
    assert statuses[:5] == [201] * 5 and set(statuses[5:]) == {429}
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 60 and "秒后再试" in refused.json()["message"]
    assert other.status_code == 429
    files = [p for p in tmp_path.glob("audit.jsonl*") if p.suffix[1:].isdigit() or p.name == "audit.jsonl"]
    line = max(len(x) for p in files for x in p.read_bytes().splitlines(keepends=True))
    assert len(files) == 2  # audit.jsonl and one rotated file (audit_keep=1): 2 of the 5 accepted posts remain
    assert all(p.stat().st_size <= max(8192, line) for p in files)  # a line never straddles two files
    assert feedback_report(settings.audit_path).reporters == 1


def test_the_ui_session_header_tells_reporters_apart_only_with_the_api_key(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from app.api.main import create_app
    from tests.app.api_graph import build_graph

    base = build_graph(tmp_path)
    body = {"rating": "wrong_fact", "target": "answer", "facts": [FACT.model_dump()]}
    keyed = base.model_copy(update={"api_key": SecretStr("k" * 32)})
    with TestClient(create_app(keyed)) as client:
        for session in ("a", "b", "a", "a"):
            assert client.post("/feedback", json=body, headers={"X-API-Key": "k" * 32,
                                                                "X-QiZhen-Reporter": session}).status_code == 201
    assert [(f.count, f.reports) for f in feedback_report(base.audit_path).facts] == [(2, 4)]
    for p in tmp_path.glob("audit.jsonl*"):
        p.unlink()
    with TestClient(create_app(base)) as client:  # no key: anyone could send any header, so it is ignored
        for session in ("a", "b", "c"):
            assert client.post("/feedback", json=body, headers={"X-QiZhen-Reporter": session}).status_code == 201
    assert [(f.count, f.reports) for f in feedback_report(base.audit_path).facts] == [(1, 3)]


def _write_many(path: str, who: str, n: int) -> None:
    log = AuditLog(Path(path), max_bytes=16384, keep=40)
    for i in range(n):
        record_feedback(log, FeedbackIn(rating="wrong_fact", target="answer", snapshot=f"{who}-{i}", facts=[FACT]),
                        "/feedback", reporter=who)
    log.close()


def test_workers_rotating_one_audit_log_keep_whole_lines_and_the_bound(tmp_path: Path) -> None:
    """Two processes append and rotate the same file (room for all their lines in keep + 1 files):
    whatever the interleaving, every line is whole JSON, none is lost, and no file passes the limit."""
    import multiprocessing

    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(str(path), who, 300)) for who in ("w1", "w2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    parts = [p for p in tmp_path.glob("audit.jsonl*") if p.suffix[1:].isdigit() or p.name == "audit.jsonl"]
    assert 10 < len(parts) <= 41 and all(p.stat().st_size <= 16384 for p in parts)
    for part in parts:
        for line in part.read_text(encoding="utf-8").splitlines():
            assert json.loads(line)["event"] == "feedback"
    snapshots = {json.loads(x)["snapshot"] for p in parts for x in p.read_text(encoding="utf-8").splitlines()}
    assert snapshots == {f"{who}-{i}" for who in ("w1", "w2") for i in range(300)}
