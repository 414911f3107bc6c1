import { Client } from 'pg';

/** Helpers shared by the benches that start an API process against a database of their own. */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `${base}/health/ready` answers 200 (up to a minute). */
export async function waitHealthy(base: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(250);
  }
  throw new Error('the API did not become ready');
}

/** Creates the database `name` unless it exists (its data is kept between runs). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!exists.rowCount) await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}
