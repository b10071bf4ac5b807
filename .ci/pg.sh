#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL server on 127.0.0.1:${PGPORT:-55432} for the tests.
#   .ci/pg.sh start   installs the Debian packages if needed, initdb's a fresh cluster in a
#                     temp dir, starts it, creates the riskhub_test database, and prints
#                     the cluster dir (its postmaster.pid holds the server's PID)
#   .ci/pg.sh stop DIR
set -euo pipefail
PORT="${PGPORT:-55432}"
case "${1:-}" in
start)
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql postgresql-client >&2
  fi
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGD=$(mktemp -d /tmp/pgci.XXXX)
  chown postgres:postgres "$PGD"
  su postgres -s /bin/sh -c "$PGBIN/initdb -D $PGD/data -U postgres -A trust -E UTF8 --no-locale" >&2
  su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGD/data -l $PGD/server.log -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p $PORT -k $PGD -c fsync=on\" start" >&2
  psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "create database riskhub_test" >&2
  echo "$PGD"
  ;;
stop)
  PGD="$2"
  PID=$(head -1 "$PGD/data/postmaster.pid" 2>/dev/null || true)
  if [ -n "$PID" ]; then
    kill -INT "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
  fi
  ;;
*) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
