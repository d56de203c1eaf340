"""39health (39健康网) diseases: one GB18030 CSV, `disease.csv`.

Columns: name, alias, part, age, infection, insurance, department, checklist, symptom,
complication, treatment, drug, period, rate, money (+ empty trailing columns). List cells are
space- or comma-separated and often end with "[详细]" (stripped).

One described Disease per row, aliases from `alias`. Property keys (shared with xywy where the
meaning is the same): 发病部位 (part), 易感人群 (age), 传染性 (infection), 医保 (insurance),
治疗方式 (treatment, list), 治疗周期 (period), 治愈率 (rate), 治疗费用 (money), and, for list
items cut with "..." that could not be resolved (lists): 常用药物_截断 (drug), 并发症_截断
(complication), 症状_截断 (symptom), 检查_截断 (checklist), 科室_截断 (department).

Relations (dataset "39health", predicate = the column name): IN_DEPARTMENT→Department
(department), NEEDS_CHECK→Check (checklist), HAS_SYMPTOM→Symptom (symptom),
COMPLICATION→Disease (complication), TREATED_BY→Drug (drug).

A list item cut with "..." (most often a drug, sometimes a complication) is resolved to the one
node of the column's type whose name or alias starts with the cut text — among the graph's
nodes (`KnownNames`) and, for diseases, the names of this file's own rows; otherwise the cut
text is kept as a property — never a node. Some rows' own names are cut too: such a row is
merged into the one disease its cut name prefixes (same rule), else kept under the cut name with
property 名称_截断 (its `alias` cell usually gives full names, so linking still finds it).

Each physical line is decoded strictly; an undecodable line is rejected (with its line number)
and the others are still read.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from kg.schema import Entity, NodeType, Relation, RelType, provenance
from kg.sources.base import (
    EntityCache,
    KnownNames,
    PrefixIndex,
    Reject,
    Source,
    SourceRecord,
    cut_text,
    expand_paths,
    split_terms,
    strip_detail,
    usable_name,
)
from kg.text import clean_property

DATASET = "39health"
ENCODING = "gb18030"
COLUMNS = ("name", "alias", "part", "age", "infection", "insurance", "department", "checklist", "symptom",
           "complication", "treatment", "drug", "period", "rate", "money")
TEXT_PROPERTIES = {"part": "发病部位", "age": "易感人群", "infection": "传染性", "insurance": "医保",
                   "period": "治疗周期", "rate": "治愈率", "money": "治疗费用"}
TRUNCATED_KEYS = {"drug": "常用药物_截断", "complication": "并发症_截断", "symptom": "症状_截断",
                  "checklist": "检查_截断", "department": "科室_截断"}
TRUNCATED_KEY = TRUNCATED_KEYS["drug"]
NAME_CUT_KEY = "名称_截断"
#: property key → the CSV column it comes from (recorded as provenance at ingest)
PROPERTY_FIELDS = {**{key: col for col, key in TEXT_PROPERTIES.items()}, "治疗方式": "treatment",
                   **{key: col for col, key in TRUNCATED_KEYS.items()}, NAME_CUT_KEY: "name"}
RELATION_COLUMNS: dict[str, tuple[RelType, NodeType]] = {
    "department": (RelType.IN_DEPARTMENT, NodeType.DEPARTMENT),
    "checklist": (RelType.NEEDS_CHECK, NodeType.CHECK),
    "symptom": (RelType.HAS_SYMPTOM, NodeType.SYMPTOM),
    "complication": (RelType.COMPLICATION, NodeType.DISEASE),
    "drug": (RelType.TREATED_BY, NodeType.DRUG),
}
_ALIAS_SPLIT = re.compile(r"[,，、;；]+")
_TREATMENT_SPLIT = re.compile(r"[\s,，、;；]+")


class Health39Source(Source):
    name = DATASET
    uses_known_names = True

    def __init__(self, paths: Sequence[str | Path], dataset: str = DATASET) -> None:
        self.paths = list(paths)
        self.name = dataset

    def files(self) -> list[Path]:
        return expand_paths(self.paths, "*.csv")

    def total(self) -> int | None:
        n = 0
        for f in self.files():
            with open(f, "rb") as fh:
                n += max(0, sum(1 for line in fh if line.strip()) - 1)
        return n

    def read(self, known: KnownNames | None = None) -> Iterator[SourceRecord | Reject]:
        own = [n for path in self.files() for n in self._row_names(path)]
        prefixes = {col: PrefixIndex.of_type(known, ttype, own if ttype == NodeType.DISEASE else ())
                    for col, (_, ttype) in RELATION_COLUMNS.items()}
        cache = EntityCache(self.name)
        for path in self.files():
            header: list[str] | None = None
            with open(path, "rb") as fh:
                for lineno, raw in enumerate(fh, start=1):
                    try:
                        line = raw.decode(ENCODING, errors="strict")
                    except UnicodeDecodeError as exc:
                        yield Reject.of(self.name, path, lineno, f"undecodable {ENCODING} bytes: {exc.reason} "
                                        f"at byte {exc.start}", raw.decode(ENCODING, errors="replace"))
                        continue
                    if not line.strip():
                        continue
                    cells = next(csv.reader([line]))
                    if header is None:
                        header = [c.strip() for c in cells]
                        missing = [c for c in ("name",) if c not in header]
                        if missing:
                            yield Reject.of(self.name, path, lineno, "header lacks a 'name' column; file skipped",
                                            line)
                            break
                        continue
                    yield self._row(path, lineno, dict(zip(header, cells, strict=False)), line, prefixes, cache)

    @staticmethod
    def _row_names(path: Path) -> list[str]:
        """Disease names of the rows of `path` (undecodable lines skipped; read() reports them)."""
        names: list[str] = []
        with open(path, "rb") as fh:
            for i, raw in enumerate(fh):
                if i == 0:
                    continue
                try:
                    cells = next(csv.reader([raw.decode(ENCODING, errors="strict")]), [])
                except (UnicodeDecodeError, StopIteration):
                    continue
                name = usable_name(strip_detail(cells[0])) if cells else None
                if name and cut_text(name) is None:
                    names.append(name)
        return names

    def _row(self, path: Path, lineno: int, row: dict[str, str], line: str, prefixes: dict[str, PrefixIndex],
             cache: EntityCache) -> SourceRecord | Reject:
        name = usable_name(strip_detail(row.get("name") or ""))
        if name is None:
            return Reject.of(self.name, path, lineno, "row has no disease name", line)
        props: dict[str, str | list[str]] = {}
        cut = cut_text(name)
        if cut is not None:  # some rows' own names are cut: resolve, else keep (its aliases find it)
            hit = prefixes["complication"].resolve(cut)
            if hit is not None:
                name = hit[1]
            else:
                props[NAME_CUT_KEY] = name
        sid = cache.id(name)
        for col, key in TEXT_PROPERTIES.items():
            value = strip_detail(row.get(col) or "")
            if value:
                props[key] = clean_property(key, value)
        treatment = split_terms(strip_detail(row.get("treatment") or ""), _TREATMENT_SPLIT)
        if treatment:
            props["治疗方式"] = treatment
        aliases = [a for a in split_terms(strip_detail(row.get("alias") or ""), _ALIAS_SPLIT) if a != name]
        entities = [Entity(id=sid, type=NodeType.DISEASE, name=name, aliases=aliases, properties=props,
                           sources=[self.name], described=True)]
        relations: list[Relation] = []
        seen: set[tuple[RelType, str]] = set()
        for col, (rel, ttype) in RELATION_COLUMNS.items():
            truncated: list[str] = []
            for term in split_terms(strip_detail(row.get(col) or "")):
                cut = cut_text(term)
                if cut is not None:
                    hit = prefixes[col].resolve(cut)
                    if hit is None:
                        if term not in truncated:
                            truncated.append(term)
                        continue
                    tid = cache.weak(hit[1], ttype, entities)
                else:
                    target = usable_name(term)
                    if target is None:
                        continue
                    tid = cache.weak(target, ttype, entities)
                if (rel, tid) not in seen:
                    seen.add((rel, tid))
                    relations.append(Relation(sid, rel, tid, self.name, col))
            if truncated:
                props[TRUNCATED_KEYS[col]] = truncated
        entities[0].property_sources = provenance(props, self.name, PROPERTY_FIELDS)
        return SourceRecord(entities=entities, relations=relations).at(path, lineno)
