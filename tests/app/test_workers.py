"""The API's worker supervisor (app.workers): one SO_REUSEPORT socket per worker, restarts, shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.app.api_graph import free_port

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT")


def _supervise(port: int, app: str, log: Path, workers: int = 2) -> subprocess.Popen[bytes]:
    code = ("import sys; from app.workers import Supervisor, WorkerSpec; "
            f"sys.exit(Supervisor(WorkerSpec(app={app!r}, host='127.0.0.1', port={port}, log_level='warning'), "
            f"{workers}).run())")
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _wait_pids(url: str, want: int, timeout_s: float = 60) -> set[int]:
    """Worker pids seen over fresh connections, until `want` distinct ones answered."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while len(seen) < want and time.monotonic() < deadline:
        try:
            seen.add(int(httpx.get(f"{url}/pid", timeout=2).text))
        except (httpx.HTTPError, ValueError):
            time.sleep(0.2)
    return seen


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


@pytest.mark.integration
def test_connections_opened_together_reach_every_worker_and_a_dead_worker_is_replaced(tmp_path: Path) -> None:
    port = free_port()
    proc = _supervise(port, "tests.app.pid_app:create_app", tmp_path / "log")
    url = f"http://127.0.0.1:{port}"
    try:
        pids = _wait_pids(url, 2)
        assert len(pids) == 2, (tmp_path / "log").read_text()
        # uvicorn's shared socket gave all 16 to one worker in 2 of 3 tries (an idle loop accepts the whole backlog)
        spread = asyncio.run(_keepalive_pids(port, 16))
        assert len(set(spread)) == 2, spread
        victim = next(iter(pids))
        os.kill(victim, signal.SIGKILL)
        after = _wait_pids(url, 2, timeout_s=60)
        assert victim not in after and len(after) == 2 and proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, (tmp_path / "log").read_text()
    assert "Traceback" not in (tmp_path / "log").read_text()
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
