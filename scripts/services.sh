#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on their local ports: starts the local servers when they
# are installed but down, and otherwise says exactly what to install. Sourced by setup.sh and
# run before the tests (npm test). Honors PG_HOST/PG_PORT/REDIS_HOST/REDIS_PORT.
set -uo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do port_open "$1" "$2" && return 0; sleep 0.5; done
  return 1
}

ensure_postgres() {
  port_open "$PG_HOST" "$PG_PORT" && return 0
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is down: starting the local cluster..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  elif command -v pg_ctl >/dev/null 2>&1 && [ -n "${PGDATA:-}" ]; then
    pg_ctl -D "$PGDATA" -l "$PGDATA/server.log" start || true
  else
    echo "PostgreSQL (15 or newer) is not running on $PG_HOST:$PG_PORT and no local server was found." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install -y postgresql) or run: docker compose up -d postgres redis" >&2
    return 1
  fi
  wait_port "$PG_HOST" "$PG_PORT" || { echo "PostgreSQL did not come up on $PG_HOST:$PG_PORT" >&2; return 1; }
}

ensure_redis() {
  port_open "$REDIS_HOST" "$REDIS_PORT" && return 0
  if command -v redis-server >/dev/null 2>&1; then
    echo "Redis is down: starting a local server (nothing kept on disk)..."
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no
  else
    echo "Redis (7 or newer) is not running on $REDIS_HOST:$REDIS_PORT and redis-server is not installed." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install -y redis-server) or run: docker compose up -d postgres redis" >&2
    return 1
  fi
  wait_port "$REDIS_HOST" "$REDIS_PORT" || { echo "Redis did not come up on $REDIS_HOST:$REDIS_PORT" >&2; return 1; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_postgres && ensure_redis
fi
