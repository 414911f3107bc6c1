#!/usr/bin/env bash
# Two test runs side by side on one machine, with a .env in the checkout (as `npm run setup` leaves
# it): both must pass. Each run makes its own database and Redis key prefix (test/support/test-run.ts)
# and ignores .env; before issue 23 they shared pandaprobe_test and Redis db 1 and broke each other.
#   bash scripts/check-test-isolation.sh [spec ...]     (default: a representative set)
# REDIS_URL is honoured (the runs still use their own prefixes); DATABASE_URL is ignored on purpose,
# since two runs on one explicit database would share it.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then specs=("$@"); else
  specs=(test/e2e/test-isolation.e2e-spec.ts test/e2e/logs.e2e-spec.ts test/e2e/eval-runs-faults.e2e-spec.ts
         test/e2e/rate-limits-ingest.e2e-spec.ts)
fi

created_env=
if [ ! -f .env ]; then
  # A hostile .env: any test process that read it would log at debug, or fail to reach its stores.
  printf 'LOG_LEVEL=debug\nDATABASE_URL=postgresql://postgres@127.0.0.1:1/nowhere\nREDIS_URL=redis://127.0.0.1:1/0\nQUEUE_PREFIX=from-dotenv\n' > .env
  created_env=1
fi
logs=$(mktemp -d)
trap '[ -n "$created_env" ] && rm -f .env; rm -rf "$logs"' EXIT

npm run build:tools --silent || exit 1
unset DATABASE_URL
npm run test:jest --silent -- "${specs[@]}" > "$logs/a.log" 2>&1 & A=$!
npm run test:jest --silent -- "${specs[@]}" > "$logs/b.log" 2>&1 & B=$!
wait $A; ra=$?
wait $B; rb=$?
for run in a b; do
  echo "--- run $run: $(grep -E '^Tests:' "$logs/$run.log")"
done
if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then
  echo "side-by-side runs: FAILED (exit $ra and $rb)"; tail -60 "$logs/a.log" "$logs/b.log"; exit 1
fi
echo "side-by-side runs: both passed, with a .env in the checkout"
