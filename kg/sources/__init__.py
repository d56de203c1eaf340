"""Dataset readers, one module per dataset, chosen by name (`--source NAME PATH…`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kg.sources.base import KnownNames, Reject, Source, SourceRecord

SOURCE_NAMES = ("cmekg", "xywy", "39health", "caregpt", "jsonl")


def make_source(spec: str, paths: Sequence[str | Path] = ()) -> Source:
    """Build the reader a source name selects. `spec` is a dataset name, optionally
    `NAME:DATASET` to record the data under another dataset name (e.g. `jsonl:my-hospital`)."""
    kind, _, dataset = spec.partition(":")
    kind = kind.strip().lower()
    dataset = dataset.strip() or kind
    if kind == "cmekg":
        from kg.sources.cmekg import CMeKGSource

        if len(paths) > 1:
            raise ValueError("cmekg takes at most one path (the pickle); none = the PyCMeKG package")
        return CMeKGSource(paths[0] if paths else None, dataset=dataset)
    if not paths:
        raise ValueError(f"source {kind!r} needs at least one path")
    if kind == "xywy":
        from kg.sources.xywy import XywySource

        return XywySource(paths, dataset=dataset)
    if kind in ("39health", "health39"):
        from kg.sources.health39 import Health39Source

        return Health39Source(paths, dataset="39health" if dataset == "health39" else dataset)
    if kind == "caregpt":
        from kg.sources.caregpt import CareGPTSource

        if len(paths) != 1:
            raise ValueError("caregpt takes exactly one path (drug.json)")
        return CareGPTSource(paths[0], dataset=dataset)
    if kind == "jsonl":
        from kg.sources.jsonl import JsonlSource

        return JsonlSource(paths, dataset=dataset)
    raise ValueError(f"unknown source {kind!r}; choose one of {', '.join(SOURCE_NAMES)}")


__all__ = ["KnownNames", "Reject", "Source", "SourceRecord", "SOURCE_NAMES", "make_source"]
