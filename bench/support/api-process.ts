/**
 * What the benchmarks that time the HTTP API share: a database migrated to the current schema, one
 * production-mode API process on a port of its own, its readiness and its memory.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';

const ROOT = join(__dirname, '..', '..', '..');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of a process in MB (Linux), or null when it cannot be read. */
export function rssMb(pid: number | undefined): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** The built API (dist/src/main.js) with `env` on top of a quiet production environment. */
export function startApi(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      INIT_CREATE: 'true',
      RATE_LIMIT_DEFAULT: '100000000',
      OPENAI_API_KEY: 'sk-unused',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

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

/** Drops the database `name` if it exists, closing its connections. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Creates the database when missing and runs every migration. */
export async function prepareDatabase(adminUrl: string, database: string, databaseUrl: string): Promise<void> {
  await ensureDatabase(adminUrl, database);
  const ds = new DataSource(buildDataSourceOptions({ database: { url: databaseUrl, poolSize: 2 } } as never));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
}

/** Stops the API and waits for it to exit. */
export async function stopApi(api: ChildProcess): Promise<void> {
  if (api.exitCode !== null) return;
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
}

/** CPU time (user + system, ms) used so far by a process and every process below it (Linux /proc). */
export function treeCpuMs(pid: number): number {
  const stat = (p: number | string) => readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(stat(entry)[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* gone */
    }
  }
  let ticks = 0;
  const walk = (p: number) => {
    try {
      const f = stat(p);
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone */
    }
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return ticks * 10; // 100 ticks per second
}
