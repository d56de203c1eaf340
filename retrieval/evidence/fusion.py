"""Reciprocal-rank fusion of ranked evidence lists."""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.types import Evidence

RRF_K = 60


def rrf_merge(lists: Sequence[Sequence[Evidence]], *, k: int = RRF_K,
              exclude: set[tuple[str, str, str]] | None = None) -> list[Evidence]:
    """Merge ranked lists; an item's score is Σ 1/(k + rank). Identity is (entity, field, text).

    Ties keep the order of first appearance, so the result is deterministic.
    """
    exclude = exclude or set()
    scores: dict[tuple[str, str, str], float] = {}
    first: dict[tuple[str, str, str], Evidence] = {}
    order: dict[tuple[str, str, str], int] = {}
    for ranked in lists:
        for rank, ev in enumerate(ranked, start=1):
            key = (ev.entity_id, ev.field, ev.text)
            if key in exclude:
                continue
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
            if key not in first:
                first[key] = ev
                order[key] = len(order)
    keys = sorted(scores, key=lambda key: (-scores[key], order[key]))
    return [first[key].model_copy(update={"score": round(scores[key], 6)}) for key in keys]
