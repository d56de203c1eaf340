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
                    "ui")
    for snap in ("s1", "s2"):
        record_feedback(log, FeedbackIn(rating="wrong_fact", target="answer", snapshot=snap, facts=[FACT]), "/feedback")
    other = FACT.model_copy(update={"key": "e1:adverse_reaction:e9", "text": "非布司他片的不良反应：恶心"})
    record_feedback(log, FeedbackIn(rating="wrong_fact", target="card_item", facts=[other]), "ui")
    log.close()
    lines = [json.loads(x) for x in log.path.read_text(encoding="utf-8").splitlines()[2:]]
    assert all(x["event"] == "feedback" for x in lines) and lines[0]["evidence_ids"] == ["e1:INDICATED_FOR:1"]
    report = feedback_report(log.path)
    assert (report.up, report.down, report.wrong_fact_reports) == (1, 0, 3)
    assert [(f.key, f.count) for f in report.facts] == [(FACT.key, 2), (other.key, 1)]
    assert report.facts[0].snapshots == ["s1", "s2"]


def test_cli_report_json(tmp_path: Path) -> None:
    from app.cli import app

    log = AuditLog(tmp_path / "audit.jsonl")
    record_feedback(log, FeedbackIn(rating="wrong_fact", target="answer", facts=[FACT]), "ui")
    log.close()
    res = CliRunner().invoke(app, ["feedback", "report", "--json", "--audit", str(log.path)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["facts"][0]["count"] == 1


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
