"""Start the API (uvicorn), the Streamlit UI, or both for a demo — what `qizhen serve|ui|demo` call."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from app.children import ChildProcesses
from app.settings import Settings
from app.workers import Supervisor, WorkerSpec, reuse_port_supported
from kg.errors import Unavailable

#: ui/ is a sibling package of app/ (source tree and site-packages alike); located, not imported
UI_APP = Path(__file__).resolve().parents[1] / "ui" / "streamlit_app.py"


#: uvicorn kills a worker that does not answer its supervisor's ping within this many seconds (default 5).
#: The ping is answered by a thread of the worker, which needs the GIL: while a worker warms up (linker
#: over 125k names, jieba, the embedding model) on a busy 2-core machine it can miss 5 s, and uvicorn then
#: kills and restarts it for ever — `serve --workers 2` never came up under load (measured here).
WORKER_HEALTHCHECK_S = 180


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, log_level: str = "info") -> None:
    """Run the REST API. Each worker builds its own service (opening the embedded graph read-only);
    with several workers, Prometheus metrics are aggregated through a shared multiprocess directory."""
    import uvicorn

    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="qizhen-metrics-")
    if workers > 1 and reuse_port_supported():
        spec = WorkerSpec(app="app.api.main:create_app", host=host, port=port, log_level=log_level,
                          config=(("timeout_graceful_shutdown", 10),))
        try:
            code = Supervisor(spec, workers).run()
        except OSError as exc:  # the port is taken: one clear line, as uvicorn gives for one worker
            raise SystemExit(f"cannot listen on {host}:{port}: {exc}") from None
        if code:
            raise SystemExit(code)
        return
    uvicorn.run("app.api.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, timeout_graceful_shutdown=10, timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)


def ui_command(host: str = "127.0.0.1", port: int = 8501, api_url: str | None = None) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(UI_APP), "--server.address", host,
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--global.developmentMode", "false", "--client.toolbarMode", "minimal"]


def ui_env(api_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if api_url:
        env["QIZHEN_API_URL"] = api_url
    return env


def run_ui(host: str = "127.0.0.1", port: int = 8501, api_url: str | None = None) -> int:
    """Run the Streamlit UI in the foreground (talking to `api_url`, or in-process without one);
    SIGINT/SIGTERM stop Streamlit before this returns."""
    _require_streamlit()
    with ChildProcesses() as children:
        children.start(ui_command(host, port), env=ui_env(api_url))
        return children.wait_any()


class Stopped(RuntimeError):
    """A signal asked us to stop while we waited."""


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen[bytes] | None = None,
              stop: threading.Event | None = None) -> None:
    """Poll `url` until it answers (any status); raise if `proc` exits, `stop` is set or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if stop is not None and stop.is_set():
            raise Stopped(url)
        if proc is not None and proc.poll() is not None:
            raise Unavailable(f"{proc.args[2] if isinstance(proc.args, list) else proc.args} exited "
                               f"with code {proc.returncode}")
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout_s:g} s")


def prepare_demo(settings: Settings, echo: Callable[[str], None] = print, fetch: bool = False) -> None:
    """Build whatever is missing: the graph (CMeKG ingest), the materialized embedder and the index;
    with `fetch`, first the open sources not fetched yet (`qizhen data fetch`), ingested after CMeKG."""
    from kg.fetch.catalog import FetchOptions, all_sources, fetch_source, record_ingested, select, status
    from kg.stores import EMBEDDED, open_store

    missing = [s.name for s in status(settings.sources_dir) if not s.fetched]
    if missing and fetch:
        echo(f"fetching the open sources not fetched yet: {', '.join(missing)}…")
        opts = FetchOptions(mirror=settings.data_mirror, timeout_s=settings.fetch_timeout_s)
        for ds in select(missing, False):
            echo(f"{ds.name}: licence {ds.licence}{' — research use only' if ds.research_only else ''}")
            fetch_source(ds, settings.sources_dir, settings.home_dir / "cache" / "downloads", opts)
        from kg.ingest import default_rejects_path, finish_graph, ingest

        sources, names, _ = all_sources(settings.sources_dir)
        with open_store(settings) as s:
            summary = ingest(s, sources, rejects_path=default_rejects_path(settings.home_dir))
            finish_graph(s)
            record_ingested(settings.sources_dir, names, s.snapshot())
        echo(f"graph: {summary.nodes} nodes, {summary.relationships} relationships ({summary.seconds:.0f} s)")
    elif missing:
        echo(f"answers use CMeKG only until the other sources are fetched ({', '.join(missing)}): "
             "`qizhen demo --fetch`, or `qizhen data fetch --all && qizhen kg ingest --all`")
    if settings.graph in EMBEDDED and not _graph_exists(settings):
        echo(f"first run: building the knowledge graph from CMeKG into {settings.graph_path} (a few minutes)…")
        from kg.ingest import default_rejects_path, ingest
        from kg.sources import make_source

        with open_store(settings) as s:
            summary = ingest(s, [make_source("cmekg")], rejects_path=default_rejects_path(settings.home_dir))
        echo(f"graph: {summary.nodes} nodes, {summary.relationships} relationships ({summary.seconds:.0f} s)")
    if settings.dense and not (settings.index_dir / "manifest.json").exists():
        echo(f"first run: materializing the embedding model and building the passage index in {settings.index_dir}…")
        from retrieval.embedders import make_embedder
        from retrieval.index import build_index

        embedder = make_embedder(settings.embedding_model, settings.models_root, backend=settings.embedding_backend)
        with open_store(settings, read_only=True) as s:
            manifest = build_index(s, embedder, settings.index_dir)
        echo(f"index: {manifest.count} passages")


def _graph_exists(settings: Settings) -> bool:
    p = settings.graph_path
    return p.exists() and (p.is_file() or any(p.iterdir()))


def run_demo(settings: Settings, host: str = "127.0.0.1", api_port: int = 8000, ui_port: int = 8501,
             echo: Callable[[str], None] = print, fetch: bool = False) -> int:
    """Prepare on first run, then run the API and the UI together until interrupted."""
    _require_streamlit()
    prepare_demo(settings, echo, fetch=fetch)
    api_url = f"http://{host}:{api_port}"
    with ChildProcesses() as children:
        api = children.start([sys.executable, "-m", "uvicorn", "--factory", "app.api.main:create_app",
                              "--host", host, "--port", str(api_port), "--log-level", "warning"])
        try:
            wait_http(f"{api_url}/health", 600, api, children.stopping)
            ui = children.start(ui_command(host, ui_port), env=ui_env(api_url))
            wait_http(f"http://{host}:{ui_port}/_stcore/health", 120, ui, children.stopping)
        except Stopped:
            return 0
        echo(f"QiZhen is ready: open http://{host}:{ui_port}  (API {api_url}, docs {api_url}/docs); Ctrl-C stops")
        return children.wait_any()


def _require_streamlit() -> None:
    import importlib.util

    if importlib.util.find_spec("streamlit") is None:
        raise Unavailable("the UI needs Streamlit: pip install 'qizhen[ui]'")
