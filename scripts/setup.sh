#!/usr/bin/env bash
# The first command: from a fresh clone to a running API and worker with a working API key.
#   installs dependencies, writes .env with fresh secrets (once), builds, checks (and starts local)
#   PostgreSQL and Redis, creates the database and runs migrations, ensures a demo organization,
#   project and key, runs the API and the worker, and prints the key and the URLs once the API
#   answers; then runs until Ctrl-C.
# Configuration is read by the service's own loader (src/config): the environment wins over .env,
# here as in the service, so `DATABASE_URL=... npm run setup` prepares and runs that one database.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)..."
  npm ci --no-audit --no-fund # quiet: see .npmrc
fi

if [ ! -f .env ]; then
  echo "Writing .env from .env.example with fresh secrets..."
  hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
  sed -e "s/^INIT_API_KEY=.*/INIT_API_KEY=sk_pp_$(hex 32)/" \
      -e "s/^JWT_SECRET=.*/JWT_SECRET=$(hex 32)/" \
      -e "s/^ADMIN_TOKEN=.*/ADMIN_TOKEN=$(hex 32)/" .env.example > .env
fi

npm run build --silent
node_run() { npm exec --silent -- node "$@"; }

# Where PostgreSQL and Redis are, as the service reads it.
addresses=$(node_run dist/src/prepare.js --addresses)
eval "$addresses"
is_default_local() { [[ "$1" == 127.0.0.1 || "$1" == localhost ]] && [ "$2" = "$3" ]; }
# Local servers on their default ports are started when installed but down; anything else is
# reported by prepare.js below (one line: the variable, the address, the fix).
if is_default_local "$PG_HOST" "$PG_PORT" 5432; then ensure_postgres; fi
if is_default_local "$REDIS_HOST" "$REDIS_PORT" 6379; then ensure_redis; fi

# Creates the database if missing, runs migrations and the INIT_* bootstrap; prints what it ensured.
node_run dist/src/prepare.js

node_run --max-semi-space-size=2 dist/src/worker.js &
WORKER=$!
node_run --max-semi-space-size=2 dist/src/main.js &
API=$!
trap 'kill $API $WORKER 2>/dev/null; wait $API $WORKER 2>/dev/null' EXIT INT TERM

# The key and the URLs come last, after the start-up logs, once the API listens.
for _ in $(seq 1 120); do
  port_open 127.0.0.1 "$API_PORT" && break
  kill -0 $API 2>/dev/null || { wait $API; exit $?; }
  sleep 0.25
done
node_run dist/src/prepare.js --banner
wait $API
