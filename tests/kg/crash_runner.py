"""Subprocess for tests/kg/test_crash_safety.py: ingests JSONL into a LadybugStore and prints a
marker line right before each write transaction ("entities" / "relations"), before the close
("close": the checkpoint) and after it ("published"), so the test can SIGKILL it at that point.

    python -m tests.kg.crash_runner GRAPH DATA.jsonl BATCH_SIZE
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from kg.ingest import ingest
from kg.sources import make_source
from kg.stores.ladybug import LadybugStore


def _say(marker: str) -> None:
    print(marker, flush=True)


class AnnouncingStore(LadybugStore):
    """The real store, announcing its write transactions and its close."""

    def _transaction(self, steps: list[tuple[str, dict[str, Any] | None]]) -> None:
        _say("relations" if any(q.startswith("COPY") and not q.startswith("COPY Entity") for q, _ in steps)
             else "entities")
        super()._transaction(steps)

    def _finish(self, publish: bool) -> None:
        _say("close")
        super()._finish(publish)
        _say("published")


def main(graph: str, data: str, batch_size: str) -> None:
    with AnnouncingStore(Path(graph)) as store:
        ingest(store, [make_source("jsonl", [data])], batch_size=int(batch_size))
    _say("done")


if __name__ == "__main__":
    main(*sys.argv[1:4])
