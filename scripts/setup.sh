#!/usr/bin/env bash
# The first command: from a fresh clone to a running API and worker with a working API key.
#   installs dependencies, checks (and starts) PostgreSQL and Redis, writes .env with fresh secrets,
#   builds, creates the database and runs migrations, ensures a demo organization, project and key,
#   prints the key and the URLs, then runs the API and the worker until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

ensure_postgres
ensure_redis

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)..."
  npm ci --no-audit --no-fund
fi

if [ ! -f .env ]; then
  echo "Writing .env from .env.example with fresh secrets..."
  hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
  sed -e "s/^INIT_API_KEY=.*/INIT_API_KEY=sk_pp_$(hex 32)/" \
      -e "s/^JWT_SECRET=.*/JWT_SECRET=$(hex 32)/" \
      -e "s/^ADMIN_TOKEN=.*/ADMIN_TOKEN=$(hex 32)/" .env.example > .env
fi

npm run build --silent
# Creates the database if missing, runs migrations and the INIT_* bootstrap; prints what it ensured.
npm exec -- node dist/src/prepare.js

set -a; source .env; set +a
PORT=${PORT:-8000}
cat <<MSG

  API:          http://localhost:${PORT}
  Swagger UI:   http://localhost:${PORT}/docs
  OpenAPI:      http://localhost:${PORT}/openapi.json
  Bull Board:   http://localhost:${PORT}/admin/queues   (Authorization: Bearer ${ADMIN_TOKEN:-<ADMIN_TOKEN>})
  Metrics:      http://localhost:${PORT}/metrics

  API key:      ${INIT_API_KEY}
  Project:      ${INIT_PROJECT_NAME}

  Try it:  curl -s http://localhost:${PORT}/projects/current -H "X-API-Key: ${INIT_API_KEY}" -H "X-Project-Name: ${INIT_PROJECT_NAME}"

MSG

npm exec -- node dist/src/worker.js &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM
npm exec -- node dist/src/main.js
