import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { Client } from 'pg';
import { deleteKeys } from '../support/redis-keys';
import { scopedPrefix, TEST_ENV } from '../support/test-env';
import { testRun } from '../support/test-run';

const ROOT = join(__dirname, '..', '..');

/**
 * The suite's own isolation: no process it starts reads a `.env` (npm run setup writes one in the
 * checkout), and each run has a database and Redis key prefix of its own, so two runs on one machine
 * never meet. scripts/check-test-isolation.sh runs two suites side by side with a `.env` present.
 */
describe('test runs are isolated', () => {
  it('the run has an id from global setup, and its database and key prefix follow from it', () => {
    const id = process.env.PP_TEST_RUN_ID!;
    expect(id).toMatch(/^[a-z0-9]+$/);
    expect(TEST_ENV.PP_TEST_RUN_ID).toBe(id);
    expect(TEST_ENV.QUEUE_PREFIX).toBe(`ppt${id}`);
    expect(scopedPrefix('x')).toMatch(new RegExp(`^ppt${id}-x[0-9a-f]{6}$`));
    // An explicit DATABASE_URL wins; without one the run's database is named after the run.
    if (process.env.DATABASE_URL) expect(TEST_ENV.DATABASE_URL).toBe(process.env.DATABASE_URL);
    else expect(new URL(TEST_ENV.DATABASE_URL).pathname).toBe(`/pandaprobe_test_${id}`);
    // Two runs (two jest processes) get two databases and two prefixes.
    const other = testRun({ PP_TEST_RUN_ID: 'other1' });
    expect(other.queuePrefix).not.toBe(TEST_ENV.QUEUE_PREFIX);
    expect(other.databaseUrl).toMatch(/\/pandaprobe_test_other1$/);
    expect(testRun({ PP_TEST_RUN_ID: 'other1', DATABASE_URL: 'postgresql://x@h:1/mine' })).toMatchObject({
      databaseUrl: 'postgresql://x@h:1/mine',
      ownDatabase: false,
    });
  });

  it('the run database exists and is migrated (global setup made it)', async () => {
    const c = new Client({ connectionString: TEST_ENV.DATABASE_URL });
    await c.connect();
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM migrations')).rows[0].n).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
  });

  it("a process started with TEST_ENV ignores the .env of its working directory (setup's, in the checkout)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-dotenv-'));
    try {
      writeFileSync(join(dir, '.env'), 'LOG_LEVEL=debug\nQUEUE_PREFIX=from-dotenv\n');
      const printEnv = (env: Record<string, string | undefined>) =>
        promisify(execFile)(
          process.execPath,
          [
            '-e',
            `require(${JSON.stringify(join(ROOT, 'dist/src/config/dotenv'))}); console.log(process.env.LOG_LEVEL + ' ' + process.env.QUEUE_PREFIX)`,
          ],
          { cwd: dir, env: env as NodeJS.ProcessEnv },
        );
      // The control: without the setting, the service's loader does read that .env.
      const { LOG_LEVEL: _l, QUEUE_PREFIX: _q, DOTENV_CONFIG_PATH: _d, ...bare } = TEST_ENV;
      expect((await printEnv({ PATH: process.env.PATH, ...bare })).stdout.trim()).toBe('debug from-dotenv');
      expect((await printEnv({ PATH: process.env.PATH, ...TEST_ENV })).stdout.trim()).toBe(
        `${TEST_ENV.LOG_LEVEL} ${TEST_ENV.QUEUE_PREFIX}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("cleaning up a prefix deletes that prefix's keys only (never FLUSHDB: the db is shared)", async () => {
    const redis = new Redis(TEST_ENV.REDIS_URL);
    const mine = scopedPrefix('del');
    const neighbour = `${mine}x`.replace(TEST_ENV.QUEUE_PREFIX, 'pptneighbour');
    try {
      await redis.set(`${mine}:a`, '1');
      await redis.set(`${mine}:b`, '1');
      await redis.set(`${neighbour}:a`, '1');
      expect(await deleteKeys(TEST_ENV.REDIS_URL, `${mine}:*`)).toBe(2);
      expect(await redis.exists(`${mine}:a`, `${mine}:b`, `${neighbour}:a`)).toBe(1);
    } finally {
      await redis.del(`${neighbour}:a`);
      redis.disconnect();
    }
  });
});
