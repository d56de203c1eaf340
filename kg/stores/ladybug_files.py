"""Crash safety for the embedded graph file: writers work on a private copy and swap it in.

LadybugDB keeps a database as one file plus, while open, a write-ahead log (`<file>.wal`) and,
during a checkpoint, a shadow file (`<file>.shadow`). A writer killed during a checkpoint leaves
the file needing recovery: every read-only open then fails with "checkpoint recovery is pending"
until some read-write open replays it — and the recovery of a bulk COPY was observed to keep the
snapshot row without the entities it described. So a read-write `LadybugStore` never writes the
published file:

1. `WorkingCopy.begin()` takes an exclusive `flock` on `<file>.lock` (a second writer fails at
   once), deletes what a killed writer left (`<file>.writing*`), and copies the published file to
   `<file>.writing` — first finishing any recovery the published file still needs (a graph
   written before this scheme, or by another tool).
2. The store opens and writes `<file>.writing`.
3. `commit()`, after the database was closed (which checkpoints it, leaving no WAL), fsyncs it
   and renames it over `<file>` (atomic on POSIX), then fsyncs the directory. `abandon()` (the
   write failed, or nothing changed) deletes it.

A kill at any point leaves `<file>` as it was before the writer started, or — once the rename
happened — the complete new graph; never a mix, never a pending recovery. Readers that opened
the old file keep reading it (the old inode stays alive) until they reopen.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path
from typing import IO, Any

from kg.stores.base import StoreUnavailable

#: files LadybugDB keeps beside a database file
SIDECARS = (".wal", ".shadow")


def sidecars(path: Path) -> list[Path]:
    """The WAL / shadow files of `path` that exist now."""
    return [p for p in (path.with_name(path.name + s) for s in SIDECARS) if p.exists()]


def recover(path: Path) -> None:
    """Replay a pending WAL / interrupted checkpoint of `path` in place: a short read-write open,
    closed at once (the close checkpoints). Call with the writer lock held."""
    import ladybug

    db = ladybug.Database(str(path))
    db.close()


def open_read_only(ladybug: Any, path: Path) -> tuple[Any, Any]:
    """(database, connection) opened read-only; a file left needing recovery (a writer of an older
    version, or another tool, killed in a checkpoint) is recovered once with a short read-write open."""
    try:
        db = ladybug.Database(str(path), read_only=True)
        return db, ladybug.Connection(db)
    except RuntimeError as e:
        if not sidecars(path):
            raise StoreUnavailable(f"cannot open graph at {path}: {e}") from e
        first = e
    lock = WriterLock(path)
    try:
        lock.acquire()
        try:
            recover(path)
        finally:
            lock.release()
        db = ladybug.Database(str(path), read_only=True)
        return db, ladybug.Connection(db)
    except (RuntimeError, StoreUnavailable) as e:
        raise StoreUnavailable(f"cannot open graph at {path}: {first}; recovery failed: {e}") from e


class WriterLock:
    """An exclusive, non-blocking `flock` on `<file>.lock`; released by `release()` or when the
    process dies (so a killed writer never leaves the graph locked)."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            fh.close()
            raise StoreUnavailable(f"another process is writing the graph at {self.path.with_suffix('')}") from e
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


class WorkingCopy:
    """The private file one writer works on; see the module docstring."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.work = path.with_name(path.name + ".writing")
        self.lock = WriterLock(path)

    def begin(self) -> Path:
        """Lock, clean up after a killed writer, copy the published graph; returns the path to open."""
        self.lock.acquire()
        try:
            self._remove_work()
            if self.path.exists():
                if sidecars(self.path):
                    recover(self.path)
                shutil.copyfile(self.path, self.work)
        except BaseException:
            self.lock.release()
            raise
        return self.work

    def commit(self) -> None:
        """Publish the working copy (its database must be closed)."""
        try:
            left = sidecars(self.work)
            if left:  # the close did not checkpoint: renaming the file alone would lose the WAL
                raise RuntimeError(f"graph not checkpointed ({', '.join(p.name for p in left)} left); "
                                   f"the previous graph at {self.path} is unchanged")
            fd = os.open(self.work, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(self.work, self.path)
            _fsync_dir(self.path.parent)
            self._remove_work()  # checkpoint lock files the engine may leave beside the copy
        except BaseException:
            self._remove_work()
            raise
        finally:
            self.lock.release()

    def abandon(self) -> None:
        """Drop the working copy; the published graph stays as it was."""
        try:
            self._remove_work()
        finally:
            self.lock.release()

    def _remove_work(self) -> None:
        for p in self.path.parent.glob(self.work.name + "*"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
