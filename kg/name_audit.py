"""What the ingest changed or refused in names, read back from the rejects files (`kg audit`).

The NameScreen (kg/sources/base.py) removes invisible format characters from names — the node
keeps its visible spelling and a look-alike merges into it — and refuses names without a letter or
CJK character ("1", "、"); each case is a rejects-file line with its source file and line. This reads
them back so a maintainer sees, per kind, how many and which.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kg.sources.base import NAME_CHANGED

#: rejects-file reasons reported, by kind
KINDS = {"format_characters_removed": NAME_CHANGED, "no_letter": "no letter or CJK character"}


@dataclass(slots=True)
class NameAudit:
    counts: dict[str, int] = field(default_factory=dict)
    #: kind → (shown name, source file:line) examples
    examples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {k: {"count": self.counts.get(k, 0),
                    "examples": [{"name": n, "where": w} for n, w in self.examples.get(k, [])]} for k in KINDS}


def name_audit(rejects_dir: Path, examples: int = 5) -> NameAudit:
    """Counts and examples of names changed or refused, over every rejects file under `rejects_dir`."""
    counts: Counter[str] = Counter()
    shown: dict[str, list[tuple[str, str]]] = {k: [] for k in KINDS}
    for path in sorted(rejects_dir.glob("*.jsonl")) if rejects_dir.is_dir() else []:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                reason = str(row.get("reason", ""))
                for kind, marker in KINDS.items():
                    if marker in reason:
                        counts[kind] += 1
                        if len(shown[kind]) < examples:
                            shown[kind].append((str(row.get("raw", "")), f"{row.get('file', '')}:{row.get('record', '')}"))
    return NameAudit(counts=dict(counts), examples=shown)
