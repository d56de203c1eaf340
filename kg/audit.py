"""`qizhen kg audit`: what the cleaning stage flagged, per relationship type and reason.

Reads the stored flags (it does not recompute them: run `qizhen kg clean` for that), so the
report says what answers actually see. Examples are the most frequent flagged targets, each
with one subject that carries it, so a maintainer can judge a rule at a glance.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from kg.cleaning import RULES
from kg.schema import RelType
from kg.stores.base import GraphStore


@dataclass(frozen=True, slots=True)
class AuditExample:
    target: str
    edges: int  # flagged edges with this target
    subject: str  # one subject that carries it


@dataclass(slots=True)
class AuditRow:
    relation: str
    reason: str  # "" = usable
    edges: int
    targets: int  # distinct targets
    examples: list[AuditExample] = field(default_factory=list)


@dataclass(slots=True)
class AuditReport:
    rows: list[AuditRow]
    #: relationship type → edges in the graph
    totals: dict[str, int]

    def flagged(self, relation: str) -> dict[str, int]:
        """reason → flagged edges of one relationship type."""
        return {r.reason: r.edges for r in self.rows if r.relation == relation and r.reason}

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for rel, total in self.totals.items():
            rows = [r for r in self.rows if r.relation == rel]
            out[rel] = {
                "edges": total,
                "usable": next((r.edges for r in rows if not r.reason), 0),
                "flagged": {r.reason: {"edges": r.edges, "targets": r.targets,
                                       "examples": [{"target": e.target, "edges": e.edges, "subject": e.subject}
                                                    for e in r.examples]}
                            for r in rows if r.reason},
            }
        return out


def audit(store: GraphStore, examples: int = 5, relations: list[RelType] | None = None) -> AuditReport:
    """Counts per relationship type and flag reason, with the most frequent flagged targets."""
    rows: list[AuditRow] = []
    totals: dict[str, int] = {}
    names = {e.id: e.name for e in store.name_index()}
    for rel in relations or list(RULES):
        edges = store.edge_rows(rel)
        totals[rel.value] = len(edges)
        per_reason: dict[str, Counter[str]] = defaultdict(Counter)
        subject: dict[tuple[str, str], str] = {}
        for e in edges:
            per_reason[e.flag][e.target_id] += 1
            subject.setdefault((e.flag, e.target_id), e.source_id)
        for reason in sorted(per_reason):
            counts = per_reason[reason]
            shown = [] if not reason else [
                AuditExample(names.get(t, t), n, names.get(subject[(reason, t)], subject[(reason, t)]))
                for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], names.get(kv[0], kv[0])))[:examples]]
            rows.append(AuditRow(rel.value, reason, sum(counts.values()), len(counts), shown))
    return AuditReport(rows=rows, totals=totals)
