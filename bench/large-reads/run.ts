/**
 * Large trace reads: what concurrent GET /traces/{id} of a trace of several MiB cost the API process
 * (/health latency, RSS, answers), with the default bound (MAX_LARGE_READS=2) and without one
 * (MAX_LARGE_READS=1000), and what the MAX_TRACE_BYTES check costs a span append (the size query
 * timed alone, and an append to a big trace beside one to a small trace).
 *
 *   npm run build:tools
 *   node dist/bench/large-reads/run.js
 *
 * Knobs (environment): BENCH_TRACE_MB (16), BENCH_SECONDS (8 per phase), BENCH_CONCURRENCY ("1,4,20"),
 * BENCH_DATABASE (pp_large_reads_bench, recreated each run), BENCH_PG_ADMIN_URL, BENCH_PORT (18720),
 * BENCH_REDIS_URL (redis://127.0.0.1:6379/6).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { rssMb, sleep, waitHealthy } from '../support/api-process';
import { TRACE_SIZE } from '../../src/modules/traces/traces.sql';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const TRACE_MB = num('BENCH_TRACE_MB', 16);
const SECONDS = num('BENCH_SECONDS', 8);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,4,20').split(',').map(Number);
const PORT = num('BENCH_PORT', 18720);
const DATABASE = process.env.BENCH_DATABASE ?? 'pp_large_reads_bench';
const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DATABASE_URL = Object.assign(new URL(PG_ADMIN), { pathname: `/${DATABASE}` }).toString();
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/6';
const ROOT = join(__dirname, '..', '..', '..');
const API_KEY = `sk_pp_${'cd'.repeat(32)}`;
const PROJECT = 'large-reads-bench';
const BASE = `http://127.0.0.1:${PORT}`;
const HEADERS = { 'X-API-Key': API_KEY, 'X-Project-Name': PROJECT, 'Content-Type': 'application/json' };
const SPAN_BYTES = 40 * 1024;
const JWT_SECRET = randomBytes(32).toString('hex');

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

function startApi(maxLargeReads: number): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: String(PORT),
      DATABASE_URL,
      REDIS_URL,
      QUEUE_PREFIX: 'lrbench',
      // A fresh random secret: production refuses published ones (docs/security.md).
      JWT_SECRET: JWT_SECRET,
      INIT_ORG_NAME: 'Large reads bench',
      INIT_CREATE: 'true',
      INIT_PROJECT_NAME: PROJECT,
      INIT_API_KEY: API_KEY,
      RATE_LIMIT_DEFAULT: '100000000',
      RATE_LIMIT_INGEST: '100000000',
      OPENAI_API_KEY: 'sk-unused',
      MAX_LARGE_READS: String(maxLargeReads),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function stop(api: ChildProcess): Promise<void> {
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
}

async function prepareDatabase(): Promise<void> {
  const admin = new Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${DATABASE}"`);
  await admin.end();
  const ds = new DataSource(buildDataSourceOptions({ database: { url: DATABASE_URL, poolSize: 2 } } as never));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
}

const span = (bytes: number) => ({
  span_id: randomUUID(),
  name: 'tool-call',
  kind: 'TOOL',
  started_at: new Date().toISOString(),
  ended_at: new Date().toISOString(),
  input: { blob: randomBytes(bytes / 2).toString('hex') },
});

async function post(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${BASE}${path}`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${path} → ${res.status} ${await res.text()}`);
}

/** A trace of about TRACE_MB MiB of span input, grown by appends of 20 spans (800 KiB) each. */
async function makeTrace(mb: number): Promise<string> {
  const traceId = randomUUID();
  await post('/traces', { trace_id: traceId, name: 'big', status: 'COMPLETED', started_at: new Date().toISOString() });
  const spans = Math.round((mb * 1024 * 1024) / SPAN_BYTES);
  for (let done = 0; done < spans; done += 20) {
    await post(
      `/traces/${traceId}/spans`,
      Array.from({ length: Math.min(20, spans - done) }, () => span(SPAN_BYTES)),
    );
  }
  return traceId;
}

/** K clients read the big trace in a loop while /health is polled every 50 ms. */
async function phase(api: ChildProcess, traceId: string, readers: number) {
  const until = Date.now() + SECONDS * 1000;
  const statuses: Record<string, number> = {};
  const readMs: number[] = [];
  const healthMs: number[] = [];
  let peakRss = rssMb(api.pid) ?? 0;
  const reader = async () => {
    while (Date.now() < until) {
      const started = performance.now();
      const res = await fetch(`${BASE}/traces/${traceId}`, { headers: HEADERS });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 200) readMs.push(performance.now() - started);
      else await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
    }
  };
  const prober = async () => {
    while (Date.now() < until) {
      const started = performance.now();
      await (await fetch(`${BASE}/health`)).arrayBuffer();
      healthMs.push(performance.now() - started);
      peakRss = Math.max(peakRss, rssMb(api.pid) ?? 0);
      await sleep(50);
    }
  };
  await Promise.all([prober(), ...Array.from({ length: readers }, reader)]);
  healthMs.sort((a, b) => a - b);
  readMs.sort((a, b) => a - b);
  return { readers, statuses, readMs, healthMs, peakRss };
}

async function timeQuery(db: Client, sql: string, params: unknown[], runs = 20): Promise<number> {
  await db.query(sql, params);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await db.query(sql, params);
    ms.push(performance.now() - started);
  }
  return pct(
    ms.sort((a, b) => a - b),
    50,
  );
}

async function timeAppend(traceId: string, runs = 20): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await post(`/traces/${traceId}/spans`, [span(1024)]);
    ms.push(performance.now() - started);
  }
  return pct(
    ms.sort((a, b) => a - b),
    50,
  );
}

async function main(): Promise<void> {
  console.log(`large-reads bench: one trace of ${TRACE_MB} MiB, ${SECONDS} s per phase; load ${load()}`);
  await prepareDatabase();
  let api = startApi(2);
  await waitHealthy(BASE);
  const big = await makeTrace(TRACE_MB);
  const small = await makeTrace(0.1);

  const db = new Client({ connectionString: DATABASE_URL });
  await db.connect();
  const [{ id: projectId }] = (await db.query('SELECT id FROM projects WHERE name = $1', [PROJECT])).rows;
  const sizeOf = async (id: string) => (await db.query(TRACE_SIZE, [projectId, id])).rows[0];
  console.log(
    `MAX_TRACE_BYTES check (the size query alone, p50 of 20): ${TRACE_MB} MiB trace ` +
      `${(await timeQuery(db, TRACE_SIZE, [projectId, big])).toFixed(1)} ms (${(await sizeOf(big)).bytes} bytes), ` +
      `0.1 MiB trace ${(await timeQuery(db, TRACE_SIZE, [projectId, small])).toFixed(1)} ms; load ${load()}`,
  );
  console.log(
    `append of one 1 KiB span (p50 of 20): to the ${TRACE_MB} MiB trace ${(await timeAppend(big)).toFixed(1)} ms, ` +
      `to the 0.1 MiB trace ${(await timeAppend(small)).toFixed(1)} ms; load ${load()}`,
  );
  await db.end();

  for (const maxLargeReads of [2, 1000]) {
    if (maxLargeReads !== 2) {
      await stop(api);
      api = startApi(maxLargeReads);
      await waitHealthy(BASE);
    }
    console.log(`\nMAX_LARGE_READS=${maxLargeReads} (API RSS after boot ${rssMb(api.pid)} MB)`);
    for (const readers of [0, ...CONCURRENCY]) {
      const r = await phase(api, big, readers);
      const h = r.healthMs;
      console.log(
        `  ${String(readers).padStart(2)} readers: /health p50 ${pct(h, 50).toFixed(1)} ms, p99 ${pct(h, 99).toFixed(1)} ms, ` +
          `max ${h[h.length - 1].toFixed(1)} ms (${h.length} probes); reads ${JSON.stringify(r.statuses)}` +
          (r.readMs.length ? `, 200s p50 ${pct(r.readMs, 50).toFixed(0)} ms` : '') +
          `; API RSS peak ${r.peakRss} MB; load ${load()}`,
      );
    }
  }
  await stop(api);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
