"""The side-by-side table of a comparison answer, built from the `对比·<row>` evidence of retrieval.pairs."""

from __future__ import annotations

from models.types import Comparison, ComparisonRow, EntityRef
from retrieval.pairs import COMPARE_FIELD, COMPARE_ROWS
from retrieval.types import Evidence


def comparison_from(evidence: list[Evidence]) -> Comparison | None:
    """One row per compared aspect, one cell per drug ('' when the graph has nothing); None when the
    evidence holds no comparison."""
    cells = [e for e in evidence if e.field.startswith(COMPARE_FIELD)]
    if not cells:
        return None
    refs: list[EntityRef] = []
    for e in cells:
        if all(r.id != e.entity_id for r in refs):
            refs.append(EntityRef(id=e.entity_id, name=e.entity_name, type=e.entity_type))
    rows: list[ComparisonRow] = []
    for label in COMPARE_ROWS:
        texts, cites = [], []
        for ref in refs:
            ev = next((e for e in cells if e.entity_id == ref.id and e.field == f"{COMPARE_FIELD}{label}"), None)
            texts.append(ev.body if ev else "")
            cites.append([ev.index] if ev else [])
        if any(texts):
            rows.append(ComparisonRow(label=label, cells=texts, citations=cites))
    return Comparison(entities=refs, rows=rows)
