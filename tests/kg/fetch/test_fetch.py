"""`qizhen data fetch`: real files from a local mirror, resumed, verified, placed atomically."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from kg.fetch.catalog import FetchOptions, fetch_source
from kg.fetch.download import FetchError, VerifyError
from kg.fetch.manifest import BY_NAME

runner = CliRunner()
CAREGPT = BY_NAME["caregpt"]


@pytest.fixture
def served(mirror, shared_data: Path):  # type: ignore[no-untyped-def]
    """The mirror serving the real CareGPT and 39health files as NAME/FILE."""
    mirror.files["/caregpt/drug.json"] = (shared_data / "caregpt" / "drug.json").read_bytes()
    mirror.files["/39health/disease.csv"] = (shared_data / "39health" / "disease.csv").read_bytes()
    return mirror


def _fetch(ds, root: Path, mirror_url: str, **kw: object):  # type: ignore[no-untyped-def]
    return fetch_source(ds, root / "sources", root / "cache", FetchOptions(mirror=mirror_url, backoff_s=0.05, **kw))


def _leftovers(root: Path) -> list[Path]:
    """Files under the sources folder that are not verified source files or their records."""
    return [p for p in (root / "sources").rglob("*") if p.is_file() and p.name not in
            {"drug.json", "disease.csv", "SOURCE.txt", "state.json"}]


def test_fetch_verifies_records_and_a_rerun_is_a_no_op(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = _fetch(CAREGPT, tmp_path, served.url)
    assert first.fetched == ["drug.json"]
    placed = tmp_path / "sources" / "caregpt" / "drug.json"
    assert placed.read_bytes() == served.files["/caregpt/drug.json"]
    record = (tmp_path / "sources" / "caregpt" / "SOURCE.txt").read_text(encoding="utf-8")
    assert "licence: MIT" in record and CAREGPT.files[0].sha256 in record and CAREGPT.files[0].commit in record
    assert json.loads((tmp_path / "sources" / "caregpt" / "state.json").read_text())["verified_at"]
    served.requests.clear()
    again = _fetch(CAREGPT, tmp_path, served.url)
    assert again.fetched == [] and again.unchanged == ["drug.json"] and served.requests == []


def test_a_dropped_connection_is_resumed_with_a_range_request(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    served.faults["/caregpt/drug.json"] = "drop_once"
    assert _fetch(CAREGPT, tmp_path, served.url).fetched == ["drug.json"]
    ranges = [r for p, r in served.requests if p == "/caregpt/drug.json"]
    assert ranges[0] == "" and ranges[1].startswith("bytes=") and int(ranges[1][6:].rstrip("-")) > 0
    assert (tmp_path / "sources" / "caregpt" / "drug.json").read_bytes() == served.files["/caregpt/drug.json"]


@pytest.mark.parametrize(("fault", "message"), [("corrupt", "checksum mismatch"), ("truncate", "wrong size")])
def test_a_wrong_file_is_refused_naming_it_and_nothing_is_left(served, tmp_path: Path, fault: str,  # type: ignore[no-untyped-def]
                                                                message: str) -> None:
    served.faults["/caregpt/drug.json"] = fault
    with pytest.raises(VerifyError, match=message) as info:
        _fetch(CAREGPT, tmp_path, served.url)
    assert "drug.json" in str(info.value)
    assert not (tmp_path / "sources" / "caregpt" / "drug.json").exists() and _leftovers(tmp_path) == []
    assert not list((tmp_path / "cache").glob("*.part"))  # a wrong file is never resumed


def test_404_and_a_stalled_origin_are_reported_with_the_url(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = replace(CAREGPT, name="nothere")
    with pytest.raises(FetchError, match=r"HTTP 404") as info:
        _fetch(missing, tmp_path, served.url)
    assert f"{served.url}/nothere/drug.json" in str(info.value)
    served.faults["/caregpt/drug.json"] = "stall"
    with pytest.raises(FetchError, match="timed out") as info:
        _fetch(CAREGPT, tmp_path, served.url, timeout_s=0.5, retries=1)
    assert f"{served.url}/caregpt/drug.json" in str(info.value) and _leftovers(tmp_path) == []


def test_atc_pages_are_parsed_and_checked_against_the_reference(mirror, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The one real origin page in shared data (C09) parses to exactly the reference rows."""
    atc = BY_NAME["atc"]
    one = replace(atc, files=tuple(f for f in atc.files if "C09" in f.name),
                  atc_checks=tuple(c for c in atc.atc_checks if c.group == "C09"))
    page = shared_data / "atc" / "pages" / "ATC代码_(C09).md"
    mirror.files["/atc/pages/ATC代码_(C09).md"] = page.read_bytes()
    result = _fetch(one, tmp_path, mirror.url)
    assert result.notes == [] and "atc_zh.csv" in result.fetched
    table = (tmp_path / "sources" / "atc" / "atc_zh.csv").read_text(encoding="utf-8").splitlines()
    reference = [ln for ln in (shared_data / "atc" / "atc_zh.csv").read_text(encoding="utf-8").splitlines()
                 if ln.startswith("C09")]
    assert [ln for ln in table if ln.startswith("C09")] == reference
    mirror.files["/atc/pages/ATC代码_(C09).md"] = page.read_bytes().replace(b"C09CA01", b"C09CA91")
    with pytest.raises(VerifyError, match="C09: codes differ"):
        _fetch(one, tmp_path / "again", mirror.url)


def test_cli_fetch_from_a_folder_then_list(qizhen_home: Path, shared_data: Path) -> None:
    res = runner.invoke(app, ["data", "fetch", "caregpt", "39health", "--from", str(shared_data), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "licence MIT" in res.output and "research use only" in res.output
    res = runner.invoke(app, ["data", "list", "--json"])
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert rows["caregpt"]["fetched"] and rows["39health"]["fetched"] and not rows["xywy"]["fetched"]


def test_cli_errors_are_one_line_and_exit_1(qizhen_home: Path, tmp_path: Path, shared_data: Path) -> None:
    bad = tmp_path / "bad" / "caregpt"
    bad.mkdir(parents=True)
    (bad / "drug.json").write_bytes((shared_data / "caregpt" / "drug.json").read_bytes()[:-10] + b"0123456789")
    res = runner.invoke(app, ["data", "fetch", "caregpt", "--from", str(tmp_path / "bad"), "--quiet"])
    assert res.exit_code == 1 and "checksum mismatch" in res.output and "Traceback" not in res.output
    assert not (qizhen_home / "sources" / "caregpt" / "drug.json").exists()
    res = runner.invoke(app, ["data", "fetch", "nosuch"])
    assert res.exit_code == 1 and "unknown source nosuch" in res.output
    res = runner.invoke(app, ["data", "fetch", "caregpt", "--from", "http://127.0.0.1:9", "--quiet"])
    assert res.exit_code == 1 and "http://127.0.0.1:9/caregpt/drug.json" in res.output


def test_the_readme_lists_every_pinned_file() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    for ds in BY_NAME.values():
        for f in ds.files:
            if f.sha256:
                assert f.sha256 in readme and f.url in readme, f.name
