"""Fetch whole sources into `$QIZHEN_HOME/sources/NAME/`, and say what is fetched and ingested.

Each fetched source folder holds its verified files, `SOURCE.txt` (origin, commit, licence, checksums,
for people) and `state.json` (what was verified, and the graph snapshot that last ingested it).
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InvalidInput
from kg.fetch.atc_pages import AtcRow, check_group, level1_rows, parse_page, write_table
from kg.fetch.download import FetchError, FetchOptions, ProgressFn, VerifyError, fetch_file, source_url
from kg.fetch.manifest import BY_NAME, INGEST_ORDER, SOURCES, DataSource
from kg.sources.base import Source

STATE = "state.json"
ATC_TABLE = "atc_zh.csv"
#: (source name, file name, size) → a progress callback for that file
ProgressFactory = Callable[[str, str, int], ProgressFn | None]


@dataclass(slots=True)
class FetchResult:
    source: str
    fetched: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    name: str
    title: str
    origin: str
    licence: str
    size: int
    fetched: bool
    verified_at: str
    ingested_snapshot: str
    in_graph: bool


def select(names: Sequence[str], every: bool) -> list[DataSource]:
    """The sources named (or all of them), in ingest order; an unknown name is an error naming the known ones."""
    if every or not names:
        if not every:
            raise InvalidInput("name one or more sources or pass --all: " + ", ".join(BY_NAME))
        return [BY_NAME[n] for n in INGEST_ORDER]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise InvalidInput(f"unknown source {', '.join(unknown)}: known are {', '.join(BY_NAME)} (CMeKG comes "
                           "with the PyCMeKG package)")
    return [BY_NAME[n] for n in INGEST_ORDER if n in names]


def fetch_source(ds: DataSource, root: Path, partial_dir: Path, opts: FetchOptions,
                 progress: ProgressFactory | None = None) -> FetchResult:
    folder = root / ds.name
    result = FetchResult(ds.name)
    if ds.atc_checks:
        _fetch_atc(ds, folder, partial_dir, opts, progress, result)
    else:
        for f in ds.files:
            done = fetch_file(ds.name, f, folder / f.name, partial_dir, opts,
                              progress(ds.name, f.name, f.size) if progress else None)
            (result.fetched if done else result.unchanged).append(f.name)
    _write_record(ds, folder, opts)
    return result


def _fetch_atc(ds: DataSource, folder: Path, partial_dir: Path, opts: FetchOptions,
               progress: ProgressFactory | None, result: FetchResult) -> None:
    """The group pages, parsed into one table checked per group against the reference digests; a
    mirror may hold that table itself (atc/atc_zh.csv), checked the same way."""
    table = folder / ATC_TABLE
    state = _state(folder)
    if table.is_file() and state.get("verified_at"):
        result.unchanged.append(ATC_TABLE)
        return
    rows: list[AtcRow] = []
    mirrored = _mirrored_table(ds, opts)
    if mirrored is not None:
        rows = mirrored
    else:
        for f in ds.files:
            done = fetch_file(ds.name, f, folder / f.name, partial_dir, opts,
                              progress(ds.name, f.name, f.size) if progress else None)
            (result.fetched if done else result.unchanged).append(f.name)
        for check in ds.atc_checks:
            page = folder / f"pages/ATC代码_({check.group}).md"
            rows += parse_page(page.read_text(encoding="utf-8"), check.group)
        rows += level1_rows()
    problems = [p for check in ds.atc_checks
                for p in check_group([r for r in rows if r.code[:3] == check.group], check)]
    wrong_codes = [p for p in problems if "codes differ" in p]
    if wrong_codes:
        raise VerifyError("ATC parse does not match the reference table: " + "; ".join(wrong_codes[:5]))
    result.notes += [f"{p} (kept: the codes agree)" for p in problems]
    folder.mkdir(parents=True, exist_ok=True)
    write_table(rows, table)
    result.fetched.append(ATC_TABLE)


def _mirrored_table(ds: DataSource, opts: FetchOptions) -> list[AtcRow] | None:
    if not opts.mirror or opts.mirror.startswith(("http://", "https://")):
        return None  # URL mirrors serve the pages
    from kg.fetch.manifest import SourceFile

    path = Path(source_url(ds.name, SourceFile(ATC_TABLE, "", "", ""), opts.mirror))
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        return [AtcRow(r["code"], int(r["level"]), r["name_zh"], r["name_en"], r["parent_code"])
                for r in csv.DictReader(fh)]


def _state(folder: Path) -> dict[str, object]:
    try:
        return dict(json.loads((folder / STATE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _write_state(folder: Path, state: dict[str, object]) -> None:
    tmp = folder / (STATE + ".part")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(folder / STATE)


def _write_record(ds: DataSource, folder: Path, opts: FetchOptions) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"{ds.title}", f"origin: https://github.com/{ds.origin.split(' ')[0]}", f"licence: {ds.licence}"]
    if ds.research_only:
        lines.append("use: research only (the origin states no licence)")
    if ds.attribution:
        lines.append(f"attribution: {ds.attribution}")
    if opts.mirror:
        lines.append(f"taken from mirror: {opts.mirror}")
    lines.append("files (upstream commit, path, bytes, sha256):")
    lines += [f"  {f.name}  {f.commit}  {f.path}  {f.size or '-'}  {f.sha256 or 'verified by parsing'}"
              for f in ds.files]
    (folder / "SOURCE.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    state = _state(folder)
    state["verified_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _write_state(folder, state)


def fetched(root: Path) -> list[tuple[DataSource, list[Path]]]:
    """Verified sources with the files their ingest reads, in ingest order."""
    out: list[tuple[DataSource, list[Path]]] = []
    for name in INGEST_ORDER:
        ds, folder = BY_NAME[name], root / name
        if not _state(folder).get("verified_at"):
            continue
        paths = sorted(p for pattern in ds.ingest_paths for p in folder.glob(pattern))
        if paths:
            out.append((ds, paths))
    return out


def all_sources(root: Path) -> tuple[list[Source], list[str], list[str]]:
    """`kg ingest --all`: CMeKG, then every fetched and verified source in order, as readers; the
    names ingested; and one line per source skipped (not fetched, or no reader registered)."""
    from kg.sources import SOURCE_NAMES, make_source

    have = {ds.name: paths for ds, paths in fetched(root)}
    sources, names, skipped = [make_source("cmekg")], [], []
    for name in INGEST_ORDER:
        if name not in have:
            skipped.append(f"{name}: not fetched — `qizhen data fetch {name}` gets it")
        elif name not in SOURCE_NAMES:
            skipped.append(f"{name}: fetched, but this version has no `{name}` reader")
        else:
            sources.append(make_source(name, [str(p) for p in have[name]]))
            names.append(name)
    return sources, names, skipped


def record_ingested(root: Path, names: Sequence[str], snapshot: str) -> None:
    for name in names:
        folder = root / name
        state = _state(folder)
        if state:
            state["ingested_snapshot"] = snapshot
            _write_state(folder, state)


def status(root: Path, graph_snapshot: str = "") -> list[SourceStatus]:
    out = []
    for ds in SOURCES:
        state = _state(root / ds.name)
        snap = str(state.get("ingested_snapshot", ""))
        out.append(SourceStatus(ds.name, ds.title, ds.origin, ds.licence, ds.size, bool(state.get("verified_at")),
                                str(state.get("verified_at", "")), snap, bool(snap) and snap == graph_snapshot))
    return out


__all__ = ["FetchError", "FetchOptions", "FetchResult", "SourceStatus", "VerifyError", "all_sources", "fetch_source",
           "fetched", "record_ingested", "select", "status"]
