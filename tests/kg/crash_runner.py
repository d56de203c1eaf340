"""Subprocess for tests/kg/test_crash_safety.py: ingests JSONL into a LadybugStore and prints a
marker line right before each write transaction ("entities" / "relations"), before the close
("close": the checkpoint) and after it ("published"), so the test can SIGKILL it at that point.

With FAULT `checkpoint` the process dies inside the checkpoint of its close, at a point the kernel
chooses deterministically (see `die_at_next_file_growth`), instead of racing a SIGKILL against it.

    python -m tests.kg.crash_runner GRAPH DATA.jsonl BATCH_SIZE [FAULT]
"""

from __future__ import annotations

import resource
import signal
import sys
from pathlib import Path
from typing import Any

from kg.ingest import ingest
from kg.sources import make_source
from kg.stores.ladybug import LadybugStore

#: the exit status of a process killed by `die_at_next_file_growth`
FAULT_SIGNAL = signal.SIGXFSZ


def die_at_next_file_growth() -> None:
    """Fault injection: this process is killed by the kernel (SIGXFSZ) at its next write that makes
    any file longer. Armed right before a database close, that write is the checkpoint's first one
    (the shadow file starts empty), so the kill lands inside the checkpoint every time — no race
    between a SIGKILL from outside and a checkpoint that may finish first. Pipes are not files:
    markers on stdout still reach the test."""
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it by default (writes fail with EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def _say(marker: str) -> None:
    print(marker, flush=True)


class AnnouncingStore(LadybugStore):
    """The real store, announcing its write transactions and its close."""

    def _transaction(self, steps: list[tuple[str, dict[str, Any] | None]]) -> None:
        _say("relations" if any(q.startswith("COPY") and not q.startswith("COPY Entity") for q, _ in steps)
             else "entities")
        super()._transaction(steps)

    fault: str | None = None

    def _finish(self, publish: bool) -> None:
        _say("close")
        if self.fault == "checkpoint":
            die_at_next_file_growth()
        super()._finish(publish)
        _say("published")


def main(graph: str, data: str, batch_size: str, fault: str | None = None) -> None:
    AnnouncingStore.fault = fault
    with AnnouncingStore(Path(graph)) as store:
        ingest(store, [make_source("jsonl", [data])], batch_size=int(batch_size))
    _say("done")


if __name__ == "__main__":
    main(*sys.argv[1:5])
