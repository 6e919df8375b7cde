#!/usr/bin/env bash
# The whole suite (called by `make test`): everything on SQLite, then the database tests again on a throwaway
# PostgreSQL 15 cluster. Redis is started on loopback for the queue and rate-limit tests.
# CONSULT_TEST_STRICT=1 makes any skipped test fail the run (only tests needing ../shared may skip).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh || exit 1
export HF_HUB_OFFLINE=1 PYTHONDONTWRITEBYTECODE=1 CONSULT_TEST_STRICT=1
export CONSULT_TEST_ARTIFACTS=${CONSULT_TEST_ARTIFACTS:-$PWD/test-artifacts}
mkdir -p "$CONSULT_TEST_ARTIFACTS"
PYTEST=(.venv/bin/pytest -p no:cacheprovider "$@")

cleanup() {
  [ -n "${PGTHROWAWAY_DIR:-}" ] && scripts/pg-throwaway.sh stop "$PGTHROWAWAY_DIR"
  [ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null
  return 0
}
trap cleanup EXIT

free_port() {
  # A free loopback port from a start that depends on the checkout, so parallel checkouts rarely collide.
  local port=$(($1 + $(cksum <<<"$PWD" | cut -d' ' -f1) % 400))
  while (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

port=$(free_port 56379)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >/dev/null &
REDIS_PID=$!
export CONSULT_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ping >/dev/null 2>&1 || { echo "could not start Redis on port $port" >&2; exit 1; }

eval "$(scripts/pg-throwaway.sh start "$(free_port 55432)")" || { echo "could not start PostgreSQL" >&2; exit 1; }
PG_URL=$CONSULT_TEST_POSTGRES_URL
unset CONSULT_TEST_POSTGRES_URL

echo "== 1/2: whole suite on SQLite (unit, nlp, web, browser) =="
"${PYTEST[@]}"
sqlite_status=$?

echo "== 2/2: database tests on PostgreSQL 15 =="
CONSULT_TEST_POSTGRES_URL=$PG_URL "${PYTEST[@]}" tests/consult
pg_status=$?

echo "SQLite run exit code: $sqlite_status; PostgreSQL run exit code: $pg_status"
[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]
