"""Background checks of one worker process: graph and generator health, warm-up retries, new snapshots.

/health answers from the latest check (with its age), so it never waits on the graph, on the
generator or on a request: no request can delay it. The same state is the readiness gate of the
answering routes: while the graph is down or not yet loaded they answer 503 at once instead of each
retrying the connection (an unreachable Neo4j used to cost every request a 2-4 s connect, one
request after another, behind the lock held during the warm-up retry).

New data: the embedded graph is watched through its files' size and mtime (a read-only handle
sees the data as of its open); once they have stopped changing for one check interval, a fresh
read-only handle is opened and, when its snapshot differs, the linker is rebuilt on it in this
thread and swapped in. Neo4j is live: its snapshot is compared directly. Until the swap, /health
says `stale` and answers still come from the previous snapshot (never a mix within one answer).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.pipeline import Health, QAService
from kg.redaction import redact
from kg.stores.base import GraphStore

log = logging.getLogger("qizhen.api")

def freeze_heap() -> None:
    """Move everything alive now (the linker's name tables, jieba, the models: over a million objects
    on the full graph) out of the cyclic garbage collector's reach. A full collection walks them all
    (~0.6 s on the 2-core machine, every request of the worker waiting behind it): that pause was the
    load test's p99. Objects freed by reference counting are still freed; call `thaw_heap()` before
    dropping a large structure (a reload) so its cycles can be collected."""
    gc.collect()
    gc.freeze()


def thaw_heap() -> None:
    gc.unfreeze()


def refreeze_heap() -> None:
    """After a reload: the previous linker's cycles become collectable, the new one is frozen."""
    thaw_heap()
    freeze_heap()


@dataclass
class CheckState:
    graph: str = "starting"  # ok | unavailable | starting | stale
    generator: str = "unknown"
    snapshot: str = ""
    checked_at: float | None = None  # monotonic
    reloads: int = 0


@dataclass
class _Retired:
    store: GraphStore
    close_at: float


@dataclass
class ServiceMonitor:
    service: QAService
    interval_s: float = 3.0
    reload: bool = True
    grace_s: float = 15.0  # an old store is closed this long after a swap (requests still using it end first)
    state: CheckState = field(default_factory=CheckState)

    def __post_init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen_files: tuple[tuple[int, int], ...] | None = None  # files when the served store was opened
        self._pending_files: tuple[tuple[int, int], ...] | None = None
        self._retired: list[_Retired] = []

    # -- lifecycle -------------------------------------------------------------------------
    def loaded(self, files_at_load: tuple[tuple[int, int], ...] | None) -> None:
        """The served store was loaded from these files (`files()` taken before it was opened); call
        before the first `check()`, which would otherwise take the unchanged files for new ones."""
        self._seen_files = files_at_load

    def start(self, files_at_load: tuple[tuple[int, int], ...] | None = None) -> None:
        """Start checking; `files_at_load`: `files()` taken before the served store was loaded."""
        if files_at_load is not None or self._seen_files is None:
            self._seen_files = files_at_load if files_at_load is not None else self.files()
        self._thread = threading.Thread(target=self._loop, name="qizhen-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + 5)
        for r in self._retired:
            r.store.close()
        self._retired.clear()

    def poke(self) -> None:
        """Check now (a request saw the graph fail)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.check()
            except Exception as exc:  # the monitor must outlive any single failure
                log.warning("health check failed: %s", redact(repr(exc)))

    # -- state -----------------------------------------------------------------------------
    @property
    def graph_ready(self) -> bool:
        """Whether requests may use the graph now (loaded, and the last check reached it)."""
        return self.service.ready and self.state.graph in ("ok", "stale")

    def health(self) -> Health:
        st = self.state
        age = None if st.checked_at is None else round(time.monotonic() - st.checked_at, 2)
        ok = st.graph == "ok" and st.generator == "ok"
        return Health(status="ok" if ok else "degraded", graph=st.graph, index=self.service.index_status,
                      generator=st.generator, snapshot=st.snapshot, checked_s_ago=age)

    # -- one round -------------------------------------------------------------------------
    def check(self) -> None:
        svc = self.service
        if not svc.ready:
            files = self.files()
            try:
                svc.warm_up()
                self._seen_files = files
                freeze_heap()
            except Exception as exc:  # noqa: BLE001 - reported through /health
                log.warning("warm-up failed, retrying in %g s: %s", self.interval_s, redact(str(exc)))
        graph, snapshot = svc.graph_health()
        if graph == "ok" and not svc.ready:
            graph = "starting"
        if graph == "ok" and self.reload:
            graph, snapshot = self._maybe_reload(snapshot)
        self.state.graph, self.state.snapshot = graph, snapshot
        self.state.generator = svc.generator_health()
        self.state.checked_at = time.monotonic()
        self._close_retired()

    def _maybe_reload(self, snapshot: str) -> tuple[str, str]:
        svc = self.service
        files = self.files()
        if files is None:  # a server-side store (Neo4j): its snapshot is live
            served = svc.snapshot
            if snapshot and snapshot != served:
                log.info("graph snapshot changed (%s -> %s): rebuilding the linker", served, snapshot)
                if svc.reload_if_changed(reopen=False).swapped:
                    refreeze_heap()
                    self.state.reloads += 1
                return "ok", svc.snapshot
            return "ok", served
        if files == self._seen_files:
            self._pending_files = None
            return "ok", snapshot
        if files != self._pending_files:  # still being written: wait until it stays the same for a round
            self._pending_files = files
            return "stale", snapshot
        try:
            done = svc.reload_if_changed()
        except Exception as exc:  # noqa: BLE001 - e.g. recovery pending: keep serving the old one, retry
            log.warning("new graph not loaded yet: %s", redact(str(exc)))
            return "stale", snapshot
        if done.waiting:
            return "stale", snapshot
        self._seen_files, self._pending_files = files, None
        if done.retired is not None:
            refreeze_heap()
            self.state.reloads += 1
            self._retired.append(_Retired(done.retired, time.monotonic() + self.grace_s))
            log.info("graph reloaded: snapshot %s", svc.snapshot)
        return "ok", svc.store.snapshot()

    def files(self) -> tuple[tuple[int, int], ...] | None:
        """(mtime_ns, size) of the embedded graph's files; None for a server-side store."""
        path = getattr(self.service.store, "path", None)
        if not isinstance(path, Path):
            return None
        out = []
        for p in (path, path.with_name(path.name + ".wal")):
            try:
                st = p.stat()
                out.append((st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((0, 0))
        return tuple(out)

    def _close_retired(self) -> None:
        now = time.monotonic()
        keep = []
        for r in self._retired:
            if r.close_at <= now:
                r.store.close()
            else:
                keep.append(r)
        self._retired = keep
