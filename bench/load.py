"""Load test: N concurrent clients against a running QiZhen API for T seconds (loopback only).

    python bench/load.py --url http://127.0.0.1:8000 --clients 16 --duration 30 [--pid SERVER_PID]
    python bench/load.py --spawn --workers 2 --clients 16 --duration 60      # starts `qizhen serve` itself

The clients speak minimal HTTP/1.1 over keep-alive connections (`--client raw`, the default): on
the 2-core machine httpx itself used 0.8 of a core at 250 req/s — CPU taken from the server it
measures, and its own event-loop delays counted as server latency. `--client httpx` keeps the old
client for comparison.

Prints requests/s, p50/p90/p99 latency, the error count and the server's RSS growth (the server
process plus its worker children, read from /proc) between the end of the warm-up and the end, for the
whole run and for its first 30 s (where the per-process caches are still cold), plus the conditions
(cores, load average) — on a shared machine the figures move with the neighbours' load.
With --spawn the server is started on a free port with the current QIZHEN_* environment and the load
starts once /health says ok; it writes its audit log and jieba cache under QIZHEN_HOME, so point
QIZHEN_HOME at a copy of a read-only graph home.
Goal for the extractive generator on the 2-core dev machine: >= 200 req/s, p99 <= 100 ms, 0 errors at 16
clients, RSS growth < 10 % over 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

MAX_CLIENTS = 256
MAX_DURATION_S = 600
QUESTIONS = ["非布司他片的适应症是什么？", "痛风有哪些症状？", "别嘌醇片有什么副作用？", "高尿酸血症要做什么检查？"]


def _dev_questions() -> list[str]:
    """The dev sets' questions and rephrasings (640 distinct ones) when ../shared/data is there, so the
    load is not four cached questions; otherwise the four above."""
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from bench.questions import questions

        return questions()
    except (OSError, ImportError):
        return QUESTIONS


def rss_kib(pid: int) -> int:
    """RSS of `pid` and all its descendants (uvicorn workers), in KiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        todo.extend(int(c) for c in children)
    return total


def _loopback_only(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load-test {host!r}: loopback only")


_QS: list[str] = QUESTIONS


class RawConnection:
    """One keep-alive HTTP/1.1 connection: a request out, the whole response (Content-Length or
    chunked) in; reconnects when the server closes. Just enough HTTP for this load test."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{self.host}:{self.port}", **headers}.items())
        self._rw: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def request_bytes(self, method: str, path: str, body: bytes = b"") -> bytes:
        extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if method == "POST" else ""
        return f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + body

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        if self._rw is None:
            self._rw = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._rw
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
            if fields.get("transfer-encoding", "").lower() == "chunked":
                chunks = []
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    chunks.append(await reader.readexactly(size + 2))
                await reader.readuntil(b"\r\n")
                body = b"".join(c[:-2] for c in chunks)
            else:
                body = await reader.readexactly(int(fields.get("content-length", "0")))
            if fields.get("connection", "").lower() == "close":
                await self.close()
            return status, body
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            await self.close()
            raise

    async def close(self) -> None:
        if self._rw is not None:
            self._rw[1].close()
            self._rw = None


async def _raw_client(url: str, headers: dict[str, str], endpoint: str, deadline: float,
                      lat: list[tuple[float, float]], errors: list[str], worker: int) -> None:
    conn = RawConnection(url, headers)
    path = {"health": "/health", "stream": "/ask/stream"}.get(endpoint, "/ask")
    method = "GET" if endpoint == "health" else "POST"
    requests = [conn.request_bytes(method, path, json.dumps({"question": q}, ensure_ascii=False).encode())
                for q in _QS]
    i = worker
    try:
        while time.perf_counter() < deadline:
            raw = requests[i % len(requests)]
            i += 1
            t = time.perf_counter()
            try:
                status, body = await conn.send(raw)
                if status != 200 or (endpoint == "stream" and b"event: done" not in body):
                    errors.append(f"{status}: {body[:120].decode(errors='replace')}")
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            lat.append((t, time.perf_counter() - t))
    finally:
        await conn.close()


async def _client(http: httpx.AsyncClient, endpoint: str, deadline: float, lat: list[tuple[float, float]],
                  errors: list[str], worker: int) -> None:
    i = worker
    while time.perf_counter() < deadline:
        q = _QS[i % len(_QS)]
        i += 1
        t = time.perf_counter()
        try:
            if endpoint == "health":
                r = await http.get("/health")
            else:
                r = await http.post("/ask/stream" if endpoint == "stream" else "/ask", json={"question": q})
            ok = r.status_code == 200 and (endpoint != "stream" or "event: done" in r.text)
            if not ok:
                errors.append(f"{r.status_code}: {r.text[:120]}")
        except httpx.HTTPError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        lat.append((t, time.perf_counter() - t))


def _summary(lat: list[float], elapsed: float, errors: int) -> dict[str, float | int]:
    lat = sorted(lat)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [lat[0] if lat else 0.0] * 99
    return {"requests": len(lat), "req_per_s": round(len(lat) / elapsed, 1) if elapsed else 0.0,
            "p50_ms": round(q[49] * 1000, 2), "p90_ms": round(q[89] * 1000, 2), "p99_ms": round(q[98] * 1000, 2),
            "max_ms": round(lat[-1] * 1000, 2) if lat else 0.0, "errors": errors}


async def run_load(url: str, clients: int, duration: float, endpoint: str, api_key: str | None,
                   warmup_s: float, pid: int | None, client: str = "raw") -> dict[str, object]:
    headers = {"X-API-Key": api_key} if api_key else {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30.0) as http:

        def one(deadline: float, lat: list[tuple[float, float]], errors: list[str], w: int) -> Any:
            if client == "raw":
                return asyncio.wait_for(_raw_client(url, headers, endpoint, deadline, lat, errors, w),
                                        timeout=deadline - time.perf_counter() + 60)
            return _client(http, endpoint, deadline, lat, errors, w)

        warm_lat: list[tuple[float, float]] = []
        warm_err: list[str] = []
        await asyncio.gather(*(one(time.perf_counter() + warmup_s, warm_lat, warm_err, w) for w in range(clients)))
        rss0 = rss_kib(pid) if pid else 0
        lat: list[tuple[float, float]] = []
        errors: list[str] = []
        started = time.perf_counter()
        cpu1 = time.process_time()
        await asyncio.gather(*(one(started + duration, lat, errors, w) for w in range(clients)))
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - cpu1
        rss1 = rss_kib(pid) if pid else 0
    first = [d for t, d in lat if t - started < 30.0]
    return {
        "endpoint": endpoint,
        "clients": clients,
        "duration_s": round(elapsed, 2),
        **_summary([d for _, d in lat], elapsed, len(errors)),
        "first_30s": _summary(first, min(30.0, elapsed), 0),
        "warmup_errors": len(warm_err),
        "first_error": errors[0] if errors else (warm_err[0] if warm_err else ""),
        "rss_start_mib": round(rss0 / 1024, 1),
        "rss_end_mib": round(rss1 / 1024, 1),
        "rss_growth_pct": round((rss1 - rss0) / rss0 * 100, 2) if rss0 else 0.0,
        "conditions": {"cpus": os.cpu_count(), "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
                       "client": client, "client_cpu_share": round(client_cpu / elapsed, 2) if elapsed else 0.0},
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(workers: int, start_timeout_s: float) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers",
                             str(workers), "--log-level", "warning"])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + start_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).json().get("status") == "ok":
                return proc, url
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    proc.terminate()
    proc.wait(timeout=30)
    raise SystemExit(f"server did not start within {start_timeout_s:g} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of measured load")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of unmeasured load first")
    ap.add_argument("--endpoint", choices=["ask", "stream", "health"], default="ask")
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw",
                    help="raw: minimal keep-alive HTTP/1.1 (light on CPU); httpx: the httpx AsyncClient")
    ap.add_argument("--api-key", default=os.environ.get("QIZHEN_API_KEY"))
    ap.add_argument("--pid", type=int, help="server pid for RSS (its children are included)")
    ap.add_argument("--fixed-questions", action="store_true", help="only the four built-in questions")
    ap.add_argument("--spawn", action="store_true", help="start `qizhen serve` on a free port (QIZHEN_* env)")
    ap.add_argument("--workers", type=int, default=1, help="with --spawn")
    ap.add_argument("--settle", type=float, default=20.0, help="with --spawn --workers > 1: seconds to wait after "
                    "the first worker is ready (the others warm up meanwhile)")
    ap.add_argument("--start-timeout", type=float, default=900.0, help="with --spawn: seconds to wait for /health ok")
    args = ap.parse_args()
    global _QS
    _QS = QUESTIONS if args.fixed_questions else _dev_questions()
    print(f"{len(_QS)} distinct questions")
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.duration <= MAX_DURATION_S:
        raise SystemExit(f"clients must be 1..{MAX_CLIENTS} and duration 0..{MAX_DURATION_S} s")
    proc = None
    url, pid = args.url, args.pid
    if args.spawn:
        proc, url = _spawn(args.workers, args.start_timeout)
        if args.workers > 1:  # a worker accepts only once warm; give the others the same chance
            time.sleep(args.settle)
        pid = proc.pid
    _loopback_only(url)
    try:
        result = asyncio.run(run_load(url, args.clients, args.duration, args.endpoint, args.api_key,
                                      args.warmup, pid, args.client))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
