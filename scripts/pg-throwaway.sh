#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL 15 cluster in a temporary directory, on a loopback port.
#   eval "$(scripts/pg-throwaway.sh start [PORT])"   -> exports PGTHROWAWAY_DIR and CONSULT_TEST_POSTGRES_URL
#   scripts/pg-throwaway.sh stop DIR
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
action=${1:-start}

as_pg() {
  # initdb refuses to run as root: use the postgres system user then.
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "$action" in
start)
  port=${2:-55432}
  while (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; do port=$((port + 1)); done
  dir=$(mktemp -d /tmp/consult-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg "'$PGBIN/initdb' -D '$dir/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8 >'$dir/initdb.log' 2>&1"
  as_pg "'$PGBIN/pg_ctl' -D '$dir/data' -o \"-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" -l '$dir/server.log' -w start >/dev/null"
  echo "export PGTHROWAWAY_DIR=$dir"
  echo "export CONSULT_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
  ;;
stop)
  dir=${2:?usage: stop DIR}
  as_pg "'$PGBIN/pg_ctl' -D '$dir/data' -m fast -w stop >/dev/null" || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start [PORT] | stop DIR" >&2
  exit 2
  ;;
esac
