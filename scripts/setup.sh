#!/usr/bin/env bash
# The first command: from a fresh clone to a running API and worker with a working API key.
#   installs dependencies, writes .env with fresh secrets (once), builds, checks (and starts local)
#   PostgreSQL and Redis, creates the database and runs migrations, ensures a demo organization,
#   project and key, runs the API and the worker, and prints the key and the URLs once the API
#   answers; then runs until Ctrl-C or any signal (TERM, HUP), which stops all of them. When the
#   judge is the scripted one on this machine (the .env it writes), setup runs it too.
# Configuration is read by the service's own loader (src/config): the environment wins over .env,
# here as in the service, so `DATABASE_URL=... npm run setup` prepares and runs that one database.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

if [ -L node_modules ]; then
  # A shared install (a git worktree's link to another checkout's node_modules): npm ci would empty
  # the other checkout's tree through the link, so it is left to that checkout.
  echo "node_modules is a link to $(readlink node_modules); not reinstalling through it."
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
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

npm run build:tools --silent # the service, and the scripted judge (dist/scripts)
# The pinned Node (a dev dependency), called directly: a signal sent to a child's pid then reaches
# the node process itself, not an npm wrapper that would leave it running.
NODE=$(npm exec --silent -- node -p process.execPath)
node_run() { "$NODE" "$@"; }

# Where PostgreSQL and Redis are, as the service reads it.
addresses=$(node_run dist/src/prepare.js --addresses)
JUDGE_HOST= JUDGE_PORT=
eval "$addresses"

# Before anything is started: a port already taken would only show up as a crash after the banner.
if port_open 127.0.0.1 "$API_PORT"; then
  echo "Port $API_PORT is already in use (PORT=$API_PORT): stop what listens there, or run PORT=<free port> npm run setup. Nothing was started." >&2
  exit 1
fi
is_default_local() { [[ "$1" == 127.0.0.1 || "$1" == localhost ]] && [ "$2" = "$3" ]; }
# Local servers on their default ports are started when installed but down; anything else is
# reported by prepare.js below (one line: the variable, the address, the fix).
if is_default_local "$PG_HOST" "$PG_PORT" 5432; then ensure_postgres; fi
if is_default_local "$REDIS_HOST" "$REDIS_PORT" 6379; then ensure_redis; fi

# Creates the database if missing, runs migrations and the INIT_* bootstrap; prints what it ensured.
node_run dist/src/prepare.js

PIDS=()
cleanup() {
  trap - EXIT INT TERM HUP
  [ ${#PIDS[@]} -gt 0 ] && { kill "${PIDS[@]}" 2>/dev/null; wait "${PIDS[@]}" 2>/dev/null; }
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# The scripted judge the .env points at, unless something already answers there (npm run judge:scripted).
JUDGE_STATE=
if [ -n "$JUDGE_PORT" ]; then
  if port_open "$JUDGE_HOST" "$JUDGE_PORT"; then
    JUDGE_STATE=reused
  else
    SCRIPTED_JUDGE_HOST=$JUDGE_HOST SCRIPTED_JUDGE_PORT=$JUDGE_PORT "$NODE" dist/scripts/scripted-judge.js &
    PIDS+=($!)
    JUDGE_STATE=started
  fi
fi
"$NODE" --max-semi-space-size=2 --expose-gc dist/src/worker.js &
PIDS+=($!)
"$NODE" --max-semi-space-size=8 --max-old-space-size=512 --expose-gc dist/src/main.js &
API=$!
PIDS+=($API)

# The key and the URLs come last, after the start-up logs, once the API listens.
for _ in $(seq 1 600); do # up to 150 s: a loaded machine starts Nest slowly
  port_open 127.0.0.1 "$API_PORT" && break
  kill -0 $API 2>/dev/null || { wait $API; exit $?; }
  sleep 0.25
done
SETUP_JUDGE=$JUDGE_STATE node_run dist/src/prepare.js --banner
wait $API
