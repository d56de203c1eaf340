"""Several API worker processes, each with its own listening socket (SO_REUSEPORT).

Why not uvicorn's own `--workers`: its workers share one listening socket, and an idle worker's
event loop accepts every connection waiting in the backlog at once. Clients that keep their
connections open (every HTTP client pool, the UI, the load test) thus mostly end up on one worker:
measured with 16 keep-alive clients and 2 workers, one worker served all 16 while the other did
nothing, and the p99 latency doubled. With one SO_REUSEPORT socket per worker the kernel spreads
new connections over the workers by their address hash.

The supervisor here is deliberately small: it starts the workers, restarts one that dies after it
had started serving, stops everything when a worker fails during startup (a broken app or port
would fail the same way every time), and forwards SIGINT/SIGTERM for a graceful shutdown.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger("uvicorn.error")  # the workers log there too

#: uvicorn's exit code for a worker that could not start (app import, lifespan or bind failed)
STARTUP_FAILURE = 3
#: seconds a worker gets to finish its requests after SIGTERM before it is killed
STOP_GRACE_S = 20.0


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def bind_reuse_port(host: str, port: int) -> socket.socket:
    """A TCP socket bound with SO_REUSEPORT, not yet listening: uvicorn's server calls listen() once
    the worker's startup (the warm-up) is done, so the kernel never routes a connection to a worker
    that is still warming up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def port_in_use(host: str, port: int) -> bool:
    """Whether something already accepts connections there (SO_REUSEPORT would otherwise let two
    servers of the same user share the port silently)."""
    try:
        with socket.create_connection((host if host not in ("0.0.0.0", "::") else "127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process needs to start uvicorn (picklable: workers are spawned, not forked)."""

    app: str
    host: str
    port: int
    log_level: str
    config: tuple[tuple[str, Any], ...] = ()


def _worker_main(spec: WorkerSpec, started: Any) -> None:
    import uvicorn

    config = uvicorn.Config(spec.app, factory=True, host=spec.host, port=spec.port, log_level=spec.log_level,
                            **dict(spec.config))
    server = uvicorn.Server(config)
    sock = bind_reuse_port(spec.host, spec.port)

    def tell_started() -> None:  # the supervisor tells a startup failure from a later crash by this flag
        while not server.started and not server.should_exit:
            threading.Event().wait(0.2)
        started.value = int(server.started)

    threading.Thread(target=tell_started, daemon=True).start()
    server.run(sockets=[sock])


class Supervisor:
    def __init__(self, spec: WorkerSpec, workers: int) -> None:
        self.spec = spec
        self.workers = workers
        self._ctx = multiprocessing.get_context("spawn")
        self._procs: list[tuple[BaseProcess, Any]] = []
        self._stop = threading.Event()

    def _start_one(self) -> tuple[BaseProcess, Any]:
        started = self._ctx.Value("i", 0)
        proc = self._ctx.Process(target=_worker_main, args=(self.spec, started), name="qizhen-api-worker")
        proc.start()
        return proc, started

    def run(self) -> int:
        """Run until SIGINT/SIGTERM (0) or a worker fails during startup (its exit code)."""
        import uvicorn

        uvicorn.Config(self.spec.app, log_level=self.spec.log_level)  # configures uvicorn's log format here too
        if port_in_use(self.spec.host, self.spec.port):
            raise OSError(f"port {self.spec.port} on {self.spec.host} is already in use")
        bind_reuse_port(self.spec.host, self.spec.port).close()  # a port held by another user fails here, once
        previous = {sig: signal.signal(sig, lambda *_: self._stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._procs = [self._start_one() for _ in range(self.workers)]
            log.info("started %d workers on %s:%d (SO_REUSEPORT)", self.workers, self.spec.host, self.spec.port)
            return self._watch()
        finally:
            self._shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _watch(self) -> int:
        announced: set[int] = set()  # pids whose "listening" event was logged
        replaced: set[int] = set()  # slots whose current worker replaces a dead one
        while not self._stop.wait(0.5):
            for i, (proc, started) in enumerate(self._procs):
                if proc.is_alive():
                    if started.value and proc.pid not in announced:
                        announced.add(proc.pid or 0)
                        self._announce(i, proc.pid or 0, i in replaced)
                    continue
                code = proc.exitcode or 0
                if not started.value:
                    log.error("a worker failed during startup (exit code %s): stopping", code)
                    return code or STARTUP_FAILURE
                log.warning("worker %d (pid %s) exited with %s: restarting it", i, proc.pid, code)
                self._procs[i] = self._start_one()
                replaced.add(i)
        return 0

    @staticmethod
    def _announce(slot: int, pid: int, replacement: bool) -> None:
        """The supervisor's own signal that a worker accepts connections (its socket is listening):
        operators see restarts, and tests wait on these lines instead of polling pids."""
        if replacement:
            log.warning("worker %d replaced: pid %d listening", slot, pid)
        else:
            log.info("worker %d started: pid %d listening", slot, pid)

    def _shutdown(self) -> None:
        # SIGTERM to each worker; after a terminal's Ctrl-C (which reached the workers too) it does not
        # cut their graceful shutdown short: uvicorn forces an exit only on a second SIGINT
        for proc, _ in self._procs:
            if proc.is_alive() and proc.pid is not None:
                proc.terminate()
        for proc, _ in self._procs:
            proc.join(STOP_GRACE_S)
            if proc.is_alive():
                proc.kill()
                proc.join()
