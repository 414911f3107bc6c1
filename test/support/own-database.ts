import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/env';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { testRun } from './test-run';

const quoted = (name: string) => `"${name.replace(/"/g, '')}"`;
const adminOf = (url: URL) =>
  new Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });

/** Empties `databaseUrl`'s public schema and runs every migration (the run's database, or a spec's own). */
export async function migrateFresh(databaseUrl: string): Promise<void> {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, REDIS_URL: testRun().redisUrl });
  const ds = new DataSource(buildDataSourceOptions(config));
  await ds.initialize();
  try {
    await ds.query('DROP SCHEMA IF EXISTS public CASCADE');
    await ds.query('CREATE SCHEMA public');
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}

/** Creates `databaseUrl`'s database unless it exists. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const admin = adminOf(url);
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [url.pathname.slice(1)]);
    if (!exists.rowCount) await admin.query(`CREATE DATABASE ${quoted(url.pathname.slice(1))}`);
  } finally {
    await admin.end();
  }
}

/**
 * A migrated database of one spec's own, beside the run's: for specs that census every row of every
 * table, which the rows other specs of the run leave behind (50,000-item runs, 20 MB traces) would
 * only slow down. `drop()` removes it (forced: a worker the spec left behind is disconnected).
 */
export async function ownDatabase(suffix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const url = new URL(testRun().databaseUrl);
  url.pathname = `/${url.pathname.slice(1)}_${suffix}`;
  await ensureDatabase(url.toString());
  await migrateFresh(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      const admin = adminOf(url);
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${quoted(url.pathname.slice(1))} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
