import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { deleteKeys } from '../support/redis-keys';
import { testRun } from '../support/test-run';

/**
 * Once per run, after the last spec: drop the run's own database (never one named by an explicit
 * DATABASE_URL) and delete every Redis key under the run's prefix (specs' own prefixes nest under
 * it). Processes a failed spec left behind are disconnected by the forced drop.
 */
export default async function globalTeardown(): Promise<void> {
  const run = testRun();
  if (run.ownDatabase) {
    const url = new URL(run.databaseUrl);
    const admin = new Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1).replace(/"/g, '')}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  await deleteKeys(run.redisUrl, `${run.queuePrefix}*`);
  // The run's compiled worker (test/support/worker-process.ts).
  rmSync(join(__dirname, '..', '..', 'node_modules', '.cache', `pp-eval-worker-${run.id}`), {
    recursive: true,
    force: true,
  });
}
