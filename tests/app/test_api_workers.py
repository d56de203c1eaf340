"""Several uvicorn workers over one embedded graph (each opens it read-only); metrics aggregated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.app.api_graph import build_graph
from tests.app.hardening_helpers import listening_pids
from tests.servers import free_port

REPO = Path(__file__).resolve().parents[2]


def _answers(prom: Path, pid: int) -> float:
    """Answers counted by worker `pid` in its Prometheus multiprocess file."""
    from prometheus_client.mmap_dict import MmapedDict

    path = prom / f"counter_{pid}.db"
    if not path.exists():
        return 0.0
    return sum(value for key, value, *_ in MmapedDict.read_all_values_from_file(str(path))
               if "qizhen_answers_total" in key)


@pytest.mark.integration
def test_two_workers_share_the_graph_read_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    build_graph(home)
    port = free_port()
    env = {**os.environ, "QIZHEN_HOME": str(home), "QIZHEN_DENSE": "false", "QIZHEN_GENERATOR": "extractive",
           "HF_HUB_OFFLINE": "1"}
    prom = tmp_path / "prometheus"
    prom.mkdir()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(prom)
    env.pop("QIZHEN_API_KEY", None)
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2",
                             "--log-level", "info"], cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        pids = listening_pids(proc, log, "started", 2)  # the supervisor's word that both workers listen
        sent = 0
        while sent < 200 and not all(_answers(prom, pid) for pid in pids):
            # new connections: the kernel spreads them over both workers (by address hash: until both answered)
            r = httpx.post(f"{url}/ask", json={"question": "非布司他片的适应症是什么？"}, timeout=30)
            assert r.status_code == 200 and r.json()["grounded"], r.text
            sent += 1
        assert all(_answers(prom, pid) for pid in pids), (pids, sent)  # both workers served requests
        text = httpx.get(f"{url}/metrics", timeout=30).text
        line = next(ln for ln in text.splitlines()
                    if ln.startswith("qizhen_answers_total") and 'outcome="grounded"' in ln)
        assert float(line.rsplit(" ", 1)[1]) == float(sent)  # summed over the workers' multiprocess files
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "Traceback" not in log.read_text()
