#!/usr/bin/env bash
# Start ArcadeDB's Bolt (Neo4j protocol) server for the integration tests, in the background, and
# wait until it accepts connections. Exports nothing; the caller sets, e.g.:
#   QIZHEN_TEST_BOLT_URI=bolt://127.0.0.1:$PORT QIZHEN_TEST_BOLT_PASSWORD=$PW QIZHEN_TEST_BOLT_DATABASE=$DB
#
# Usage: .ci/start_bolt.sh [PORT] [PASSWORD] [DATABASE]
#   defaults: 7687, $QIZHEN_TEST_BOLT_PASSWORD or qizhen-ci-password, $QIZHEN_TEST_BOLT_DATABASE or qizhen
#   BOLT_ROOT (env) = server directory, default ${TMPDIR:-/tmp}/qizhen-bolt-PORT; it holds
#   server.log and server.pid. Stop it with:  kill "$(cat "$BOLT_ROOT/server.pid")"
set -euo pipefail

PORT="${1:-7687}"
PASSWORD="${2:-${QIZHEN_TEST_BOLT_PASSWORD:-qizhen-ci-password}}"
DATABASE="${3:-${QIZHEN_TEST_BOLT_DATABASE:-qizhen}}"
ROOT="${BOLT_ROOT:-${TMPDIR:-/tmp}/qizhen-bolt-$PORT}"
PYTHON="${PYTHON:-python}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

mkdir -p "$ROOT"
LOG="$ROOT/server.log"
PIDFILE="$ROOT/server.pid"

if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "Bolt server already running (pid $(cat "$PIDFILE")) on port $PORT"
  exit 0
fi

: >"$LOG"  # truncate: a stale READY line must not count
nohup "$PYTHON" "$HERE/bench/bolt_server.py" --root "$ROOT" --port "$PORT" \
  --password "$PASSWORD" --database "$DATABASE" >"$LOG" 2>&1 </dev/null &
PID=$!
echo "$PID" >"$PIDFILE"

for _ in $(seq 1 240); do  # up to 120 s: a cold JVM on a busy 2-core runner is slow
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "Bolt server exited during start-up; last log lines:" >&2
    tail -n 30 "$LOG" >&2
    exit 1
  fi
  if grep -qs "READY bolt://" "$LOG" && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "Bolt server ready: bolt://127.0.0.1:$PORT (pid $PID, database $DATABASE, log $LOG)"
    exit 0
  fi
  sleep 0.5
done
echo "Bolt server did not become ready within 120 s; last log lines:" >&2
tail -n 30 "$LOG" >&2
kill "$PID" 2>/dev/null || true
exit 1
