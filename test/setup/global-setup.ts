import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/env';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { newTestRunId, testRun } from '../support/test-run';

/**
 * Once per run: pick the run's id (its database and Redis prefix follow from it, see
 * test/support/test-run.ts), create and migrate its database. Variables set here reach every test
 * file and, through TEST_ENV, every process a spec starts.
 */
export default async function globalSetup(): Promise<void> {
  process.env.PP_TEST_RUN_ID ??= newTestRunId();
  // No process of the run reads the checkout's .env (npm run setup writes one).
  process.env.DOTENV_CONFIG_PATH = '/dev/null';
  const run = testRun();
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: run.databaseUrl, REDIS_URL: run.redisUrl });
  const url = new URL(config.database.url);
  const dbName = url.pathname.slice(1);
  const admin = new Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
  if (!exists.rowCount) await admin.query(`CREATE DATABASE "${dbName.replace(/"/g, '')}"`);
  await admin.end();

  const ds = new DataSource(buildDataSourceOptions(config));
  await ds.initialize();
  await ds.query('DROP SCHEMA IF EXISTS public CASCADE');
  await ds.query('CREATE SCHEMA public');
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
}
