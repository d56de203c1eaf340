"""`qizhen ui` stops its Streamlit child on SIGTERM: afterwards nothing listens on the port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.children import ChildProcesses
from tests.app.api_graph import build_graph
from tests.servers import free_port

REPO = Path(__file__).resolve().parents[2]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(p) for p in text.split()}
    return found


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"


@pytest.mark.integration
@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or not Path("/proc").exists(), reason="needs POSIX and /proc")
def test_sigterm_to_qizhen_ui_leaves_no_process_listening(tmp_path: Path) -> None:
    pytest.importorskip("streamlit")
    home = tmp_path / "home"
    home.mkdir()
    build_graph(home)
    port = free_port()
    env = {**os.environ, "QIZHEN_HOME": str(home), "QIZHEN_DENSE": "false", "QIZHEN_GENERATOR": "extractive",
           "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    env.pop("QIZHEN_API_URL", None)  # in-process mode
    log = tmp_path / "ui.log"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "ui", "--port", str(port)], cwd=REPO, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "qizhen ui did not come up within 120 s:\n" + log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        children = _children(proc.pid)
        assert children, "qizhen ui runs Streamlit as its child"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)  # the parent returns only after its children exited (bounded by STOP_GRACE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not _listening(port), "something still listens on the UI's port after SIGTERM"
    assert not [pid for pid in children if _alive(pid)], "Streamlit outlived `qizhen ui`"
    assert "Traceback" not in log.read_text()


def test_children_are_stopped_when_the_block_ends_and_killed_past_the_grace() -> None:
    """A child that ignores SIGTERM is killed after the grace period; one that obeys just stops."""
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    with ChildProcesses(grace_s=1.0) as children:
        obeys = children.start([sys.executable, "-c", "import time; time.sleep(60)"])
        ignores = children.start([sys.executable, "-c", stubborn], stdout=subprocess.PIPE)
        assert ignores.stdout is not None and ignores.stdout.readline().strip() == b"ready"
    assert obeys.returncode == -signal.SIGTERM
    assert ignores.returncode == -signal.SIGKILL
    assert signal.getsignal(signal.SIGTERM) is not children._on_signal  # handlers restored
