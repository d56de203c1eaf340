"""Dataset readers, one module per dataset, chosen by name (`--source NAME PATH…`) through one registry.

Adding a source: a new `kg/sources/NAME.py` with a `Source` subclass (see base.py) and one line in
`SOURCES`; then subclass `tests/kg/source_contract.py`'s suite for it (see README "Extending").
Facts are cited with the dataset name the reader records, shown as that name until it gets a label in
`kg.vocabulary.SOURCE_LABELS` and a trust rank in `app.card_trust` (`WEIGHT`, the single-source badge).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Literal

from kg.errors import InvalidInput
from kg.sources.base import KnownNames, Reject, Source, SourceRecord

#: how many paths a reader takes: "optional" (0 or 1: none = a bundled default), "one", "many" (≥ 1)
Arity = Literal["optional", "one", "many"]


@dataclass(frozen=True)
class SourceEntry:
    target: str  # "module:Class"; the class takes (path | paths, dataset=...)
    paths: Arity = "many"
    help: str = ""
    #: its term lists are machine-extracted from prose (CMeKG's, and what this project parses out of
    #: the CareGPT handbook), not a page's own curated list: one statement by it alone is weak evidence
    extracted: bool = False


SOURCES: dict[str, SourceEntry] = {
    "cmekg": SourceEntry("kg.sources.cmekg:CMeKGSource", "optional", "the pickle; none = the PyCMeKG package",
                         extracted=True),
    "xywy": SourceEntry("kg.sources.xywy:XywySource", "many", "medical_*.json files or their folder"),
    "39health": SourceEntry("kg.sources.health39:Health39Source", "many", "disease.csv (GB18030)"),
    "caregpt": SourceEntry("kg.sources.caregpt:CareGPTSource", "one", "drug.json", extracted=True),
    "jsonl": SourceEntry("kg.sources.jsonl:JsonlSource", "many", "canonical JSONL files"),
    "atc": SourceEntry("kg.sources.atc:AtcSource", "one", "atc_zh.csv (ATC codes with Chinese names)"),
}
#: other spellings of a registered name
ALIASES = {"health39": "39health"}
SOURCE_NAMES = tuple(SOURCES)


def register_source(name: str, entry: SourceEntry) -> None:
    """Add a reader at run time (plugins, tests); the built-in ones are listed in `SOURCES`."""
    SOURCES[name] = entry


def extracted_datasets() -> frozenset[str]:
    """Dataset names whose term lists are machine-extracted (see SourceEntry.extracted)."""
    return frozenset(name for name, entry in SOURCES.items() if entry.extracted)


def make_source(spec: str, paths: Sequence[str | Path] = ()) -> Source:
    """Build the reader a source name selects. `spec` is a dataset name, optionally
    `NAME:DATASET` to record the data under another dataset name (e.g. `jsonl:my-hospital`)."""
    kind, _, dataset = spec.partition(":")
    kind = ALIASES.get(kind.strip().lower(), kind.strip().lower())
    entry = SOURCES.get(kind)
    if entry is None:
        raise InvalidInput(f"unknown source {kind!r}; choose one of {', '.join(SOURCES)}")
    dataset = dataset.strip() or kind
    module_name, class_name = entry.target.split(":")
    cls = getattr(import_module(module_name), class_name)
    if entry.paths == "optional":
        if len(paths) > 1:
            raise InvalidInput(f"{kind} takes at most one path ({entry.help})")
        return cls(paths[0] if paths else None, dataset=dataset)
    if entry.paths == "one":
        if len(paths) != 1:
            raise InvalidInput(f"{kind} takes exactly one path ({entry.help})")
        return cls(paths[0], dataset=dataset)
    if not paths:
        raise InvalidInput(f"source {kind!r} needs at least one path ({entry.help})")
    return cls(paths, dataset=dataset)


__all__ = ["ALIASES", "extracted_datasets", "KnownNames", "Reject", "SOURCES", "SOURCE_NAMES", "Source", "SourceEntry",
           "SourceRecord", "make_source", "register_source"]
