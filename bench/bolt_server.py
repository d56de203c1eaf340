"""Run ArcadeDB's Bolt (Neo4j-protocol) server from arcadedb-embedded until SIGTERM/SIGINT.

    python bench/bolt_server.py --root DIR --port 7687 --password PW --database qizhen

Prints ``READY bolt://127.0.0.1:PORT`` once the database exists and the port accepts
connections; the ingest bench, CI (.ci/start_bolt.sh) and the integration tests use it.
The JVM's non-daemon threads keep the process alive, so shutdown stops the server explicitly.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading
import time
from pathlib import Path


def wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    """True once `host:port` accepts TCP connections, False after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="server root (databases live here)")
    parser.add_argument("--port", type=int, default=7687, help="Bolt port")
    parser.add_argument("--http-port", type=int, default=0, help="HTTP port (default: Bolt port + 1)")
    parser.add_argument("--password", required=True, help="password of the `root` user (>= 8 chars)")
    parser.add_argument("--database", default="qizhen")
    parser.add_argument("--heap", default="1g", help="JVM heap size")
    args = parser.parse_args(argv)

    try:
        from arcadedb_embedded.server import ArcadeDBServer
    except ImportError:
        print("arcadedb-embedded is missing: pip install 'qizhen[dev]'", file=sys.stderr)
        return 2

    args.root.mkdir(parents=True, exist_ok=True)
    server = ArcadeDBServer(
        root_path=str(args.root.resolve()),
        root_password=args.password,
        config={
            "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "bolt_port": args.port,
            "http_port": args.http_port or args.port + 1,
            "host": "127.0.0.1",
        },
        jvm_kwargs={"heap_size": args.heap},
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    try:
        server.create_database(args.database)
        if not wait_for_port("127.0.0.1", args.port, 30):
            print(f"Bolt port {args.port} never opened", file=sys.stderr)
            return 1
        # leading newline: the JVM log on the same stdout may end without one
        print(f"\nREADY bolt://127.0.0.1:{args.port}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
