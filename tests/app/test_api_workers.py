"""Several uvicorn workers over one embedded graph (each opens it read-only); metrics aggregated."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.app.api_graph import build_graph, free_port
from tests.app.hardening_helpers import wait_ok

REPO = Path(__file__).resolve().parents[2]


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
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2",
                             "--log-level", "warning"], cwd=REPO, env=env,
                            stdout=(tmp_path / "serve.log").open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ok(url, proc, tmp_path / "serve.log")
        time.sleep(3)  # let the second worker finish warming up too
        with httpx.Client(base_url=url, timeout=30) as http:
            for _ in range(12):  # new connections: the kernel spreads them over both workers
                r = httpx.post(f"{url}/ask", json={"question": "非布司他片的适应症是什么？"}, timeout=30)
                assert r.status_code == 200 and r.json()["grounded"], r.text
            text = http.get("/metrics").text
        line = next(ln for ln in text.splitlines()
                    if ln.startswith("qizhen_answers_total") and 'outcome="grounded"' in ln)
        assert float(line.rsplit(" ", 1)[1]) == 12.0  # summed over the workers' multiprocess files
        answering = {f.stem.rsplit("_", 1)[1] for f in prom.glob("counter_*.db")}
        assert len(answering) == 2, answering  # both workers served requests
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
