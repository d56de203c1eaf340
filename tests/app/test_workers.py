"""The API's worker supervisor (app.workers): one SO_REUSEPORT socket per worker, restarts, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.app.hardening_helpers import listening_pids
from tests.servers import free_port

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT")


def _supervise(port: int, app: str, log: Path, workers: int = 2) -> subprocess.Popen[bytes]:
    code = ("import sys; from app.workers import Supervisor, WorkerSpec; "
            f"sys.exit(Supervisor(WorkerSpec(app={app!r}, host='127.0.0.1', port={port}, log_level='info'), "
            f"{workers}).run())")
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _listening_sockets(port: int) -> int:
    """How many sockets listen on `port` (one per worker with SO_REUSEPORT; one in all when shared)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as fh:
            for row in fh.readlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                count += state == "0A" and int(local.rsplit(":", 1)[1], 16) == port
    return count


async def _keepalive_pids(port: int, clients: int) -> list[int]:
    """Open `clients` connections at once (as a client pool does) and ask each for its worker's pid."""
    async def one() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(next(x for x in head.decode().split("\r\n") if x.lower().startswith("content-length"))
                         .split(":")[1])
            return int(await reader.readexactly(length))
        finally:
            writer.close()
    return list(await asyncio.gather(*(one() for _ in range(clients))))


def _answering(port: int, want: set[int], rounds: int = 50) -> set[int]:
    """Pids that answered rounds of 16 connections opened together, until all of `want` answered
    (bounded: the kernel spreads connections by address hash, so some round reaches each worker)."""
    seen: set[int] = set()
    for _ in range(rounds):
        seen.update(asyncio.run(_keepalive_pids(port, 16)))
        if want <= seen:
            break
    return seen


@pytest.mark.integration
def test_connections_opened_together_reach_every_worker_and_a_dead_worker_is_replaced(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "log"
    proc = _supervise(port, "tests.app.pid_app:create_app", log)
    url = f"http://127.0.0.1:{port}"
    try:
        pids = listening_pids(proc, log, "started", 2)
        # one listening socket per worker: uvicorn's shared socket (one for all) gave all 16 connections
        # to one worker in 2 of 3 tries (an idle loop accepts the whole backlog)
        assert _listening_sockets(port) == 2
        assert _answering(port, set(pids)) == set(pids)
        victim = pids[0]
        os.kill(victim, signal.SIGKILL)
        (new,) = listening_pids(proc, log, "replaced", 1)
        assert new not in pids and _listening_sockets(port) == 2
        assert _answering(port, {new, pids[1]}) == {new, pids[1]} and proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, log.read_text()
    assert "Traceback" not in log.read_text()
    with pytest.raises(httpx.HTTPError):  # every worker is gone with the supervisor
        httpx.get(f"{url}/pid", timeout=2)


def test_a_worker_failing_at_startup_stops_the_supervisor(tmp_path: Path) -> None:
    proc = _supervise(free_port(), "tests.app.pid_app:failing", tmp_path / "log")
    code = proc.wait(timeout=120)
    assert code != 0
    assert "this deployment cannot start" in (tmp_path / "log").read_text()


def test_a_taken_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = {**os.environ, "QIZHEN_HOME": str(tmp_path)}
        done = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
