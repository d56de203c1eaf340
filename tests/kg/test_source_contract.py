"""Every built-in reader (on its fixture) and a reader added the documented way pass one contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.sources import SOURCES, SourceEntry, make_source, register_source
from kg.sources.base import Source
from tests.kg.source_contract import SourceContract

FIX = Path(__file__).parent / "fixtures"


class TestXywyContract(SourceContract):
    dataset = "xywy"

    def make_source(self) -> Source:
        return make_source("xywy", [FIX / "xywy"])


class TestJsonlContract(SourceContract):
    dataset = "my-hospital"
    has_rejects = True

    def make_source(self) -> Source:
        return make_source("jsonl:my-hospital", [FIX / "jsonl" / "own.jsonl"])


class TestAtcContract(SourceContract):
    dataset = "atc"
    has_rejects = True  # C99: a class without a name

    def make_source(self) -> Source:
        return make_source("atc", [FIX / "atc" / "atc.csv"])


class TestCareGPTContract(SourceContract):
    dataset = "caregpt"
    has_rejects = True

    def make_source(self) -> Source:
        return make_source("caregpt", [FIX / "caregpt" / "drug.json"])


@pytest.fixture
def csv_registered() -> object:
    """The one registration line a new source needs (here at run time, undone afterwards)."""
    register_source("csvdrugs", SourceEntry("tests.kg.csv_drugs:CsvDrugSource", "many", "a CSV drug table"))
    yield
    SOURCES.pop("csvdrugs", None)


@pytest.mark.usefixtures("csv_registered")
class TestCsvDrugsContract(SourceContract):
    dataset = "csvdrugs"
    has_rejects = True

    def make_source(self) -> Source:
        return make_source("csvdrugs", [FIX / "csvdrugs" / "drugs.csv"])
