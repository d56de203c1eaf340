"""Bounded thread pools with a per-request deadline, so no request can stall the event loop.

Every CPU-heavy or blocking step of a request (linking, intent embedding, retrieval, generation,
graph reads) runs in one of these pools, never on the event loop and never in anyio's shared
default pool (40 threads that FastAPI also uses for every plain `def` route: once a slow upstream
held them all, /entities and /metrics hung too).

- Each pool has `threads` workers and admits at most `queue_limit` more waiting calls; beyond that
  a call is refused at once (`Busy` -> 503) instead of queueing without end.
- A call that has not *started* when its request's deadline passes is dropped unrun; a call that
  is still running is abandoned by the request (`DeadlineExceeded` -> 504) and its thread is
  counted as busy until it really finishes (Python cannot kill a thread), so a pool can never
  hold more running work than `threads`.
- Generators that wait on a network or a model get their own pool (`Pools.for_generator`): a slow
  upstream fills that pool only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Busy(RuntimeError):
    """The pool's threads and waiting room are full."""

    def __init__(self, pool: str) -> None:
        super().__init__(f"the {pool} pool is full")
        self.pool = pool


class DeadlineExceeded(RuntimeError):
    """The request ran out of time (waiting for a thread or running)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer within {seconds:g} s")
        self.seconds = seconds


class Deadline:
    """An absolute point in time (monotonic) shared by every step of one request."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0


class BoundedPool:
    def __init__(self, name: str, threads: int, queue_limit: int) -> None:
        self.name = name
        self.threads = max(1, threads)
        self.queue_limit = max(0, queue_limit)
        self._executor = concurrent.futures.ThreadPoolExecutor(self.threads, thread_name_prefix=f"qizhen-{name}")
        self._lock = threading.Lock()
        self._admitted = 0  # queued + running (running ones until they really end)

    @property
    def admitted(self) -> int:
        return self._admitted

    def _release(self, _fut: object = None) -> None:
        with self._lock:
            self._admitted -= 1

    def submit(self, fn: Callable[[], T], deadline: Deadline | None = None) -> concurrent.futures.Future[T]:
        """Start `fn` in the pool (raises Busy when full); the future is released when `fn` ends."""
        with self._lock:
            if self._admitted >= self.threads + self.queue_limit:
                raise Busy(self.name)
            self._admitted += 1

        def guarded() -> T:
            if deadline is not None and deadline.expired():  # waited past the deadline: do not start
                raise DeadlineExceeded(deadline.seconds)
            return fn()

        try:
            fut = self._executor.submit(guarded)
        except BaseException:
            self._release()
            raise
        fut.add_done_callback(self._release)
        return fut

    async def run(self, fn: Callable[[], T], deadline: Deadline) -> T:
        """Run `fn` in the pool and wait at most until `deadline`."""
        if deadline.expired():
            raise DeadlineExceeded(deadline.seconds)
        fut = self.submit(fn, deadline)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(fut), timeout=max(0.0, deadline.remaining()))
        except TimeoutError:
            fut.cancel()  # dropped if it has not started; a running call ends on its own
            raise DeadlineExceeded(deadline.seconds) from None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class Pools:
    """The app's pools: `cpu` for retrieval, local answers (`Generator.local`) and graph reads; one per
    network or model generator."""

    def __init__(self, threads: int, queue_limit: int, generator_threads: int) -> None:
        self.cpu = BoundedPool("cpu", threads, queue_limit)
        self._generator_threads = generator_threads
        self._queue_limit = queue_limit
        self._generators: dict[str, BoundedPool] = {}
        self._lock = threading.Lock()

    def for_generator(self, name: str, *, local: bool) -> BoundedPool:
        """The pool `name` generates in: the cpu pool for a local generator (about a millisecond of
        CPU), its own pool for one that waits on a network or a model."""
        if local:
            return self.cpu
        with self._lock:
            pool = self._generators.get(name)
            if pool is None:
                pool = self._generators[name] = BoundedPool(f"generator-{name}", self._generator_threads,
                                                            self._queue_limit)
            return pool

    def shutdown(self) -> None:
        self.cpu.shutdown()
        for pool in self._generators.values():
            pool.shutdown()
