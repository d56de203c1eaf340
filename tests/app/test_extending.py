"""README "Extending", end to end: a new source (one file + one registration) is ingested through the
CLI and its facts are cited with its own dataset; a new generator answers through the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.pipeline import QAService
from app.settings import Settings
from kg.sources import SOURCES, SourceEntry, register_source
from models.generators import GENERATORS, register_generator

FIX = Path(__file__).resolve().parents[1] / "kg" / "fixtures" / "csvdrugs" / "drugs.csv"


@pytest.fixture
def registered() -> Iterator[None]:
    register_source("csvdrugs", SourceEntry("tests.kg.csv_drugs:CsvDrugSource", "many", "a CSV drug table"))
    register_generator("echo", "tests.models.test_generator_contract:EchoGenerator")
    yield
    SOURCES.pop("csvdrugs", None)
    GENERATORS.pop("echo", None)


@pytest.mark.usefixtures("registered")
def test_csv_source_is_ingested_and_cited_with_its_dataset(qizhen_home: Path, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.jsonl"
    res = CliRunner().invoke(app, ["kg", "ingest", "--source", "csvdrugs", str(FIX), "--rejects", str(rejects),
                                   "--json"])
    assert res.exit_code == 0, res.output
    assert '"line": "3"' in rejects.read_text(encoding="utf-8") or '"record": "3"' in rejects.read_text(encoding="utf-8")
    service = QAService(Settings(home=qizhen_home, dense=False))
    answer = service.ask("舒普深测试片的适应症是什么？")
    assert answer.grounded and "肺炎" in answer.answer
    assert {c.source for c in answer.citations} == {"csvdrugs"}
    echoed = service.ask("舒普深测试片的适应症是什么？", generator="echo")
    assert echoed.generator == "echo" and echoed.grounded and echoed.citations[0].source == "csvdrugs"


def test_unknown_source_is_one_clean_error(qizhen_home: Path) -> None:
    res = CliRunner().invoke(app, ["kg", "ingest", "--source", "nosuch", "x.csv"])
    assert res.exit_code == 1 and "unknown source 'nosuch'" in res.output and "Traceback" not in res.output
