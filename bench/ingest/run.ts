/**
 * Ingestion benchmark: POST /traces through the API, then the same rows written straight to
 * PostgreSQL by a minimal script (the ceiling), in alternating rounds so both see the same load;
 * prints durable traces/s, latency percentiles, the load average, and the API ÷ ceiling ratio of
 * each round with their median. One command (builds, migrates its database, starts the built API
 * with `npm start`'s node flags and the deployment's LOG_LEVEL=info):
 *
 *   npm run bench:ingest                     # 3 rounds × (20 s API + 20 s ceiling), 32 clients, 10 spans
 *   npm run bench:ingest -- --rounds 5 --api-processes 1,2 --log-level warn
 *
 * Or against a service you run (its ingestion bucket must allow the rate: RATE_LIMIT_INGEST=0):
 *
 *   node dist/bench/ingest/run.js --url http://127.0.0.1:8000 --api-key sk_pp_... --project bench \
 *        --database-url postgresql://postgres@127.0.0.1:5432/pandaprobe
 *
 * When it starts the API itself, the database is dropped and recreated first, and the API listens on
 * --port (BENCH_PORT; default 18000 + pid % 1000). Each round also prints what it cost PostgreSQL
 * (pg-cost.ts: its backends' CPU, blocks read, WAL and checkpoints, table sizes).
 * BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is added to the API processes it starts;
 * with "--trace-gc" there, the API's GC pauses per trace are summed from its output.
 * Every option also reads an environment variable: BENCH_URL, PANDAPROBE_API_KEY, PANDAPROBE_PROJECT_NAME,
 * BENCH_DATABASE_URL, REDIS_URL, BENCH_API_PROCESSES, BENCH_DURATION, BENCH_CONNECTIONS, BENCH_SPANS,
 * BENCH_ROUNDS, BENCH_LOG_LEVEL, BENCH_PORT. The rows written are deleted at the end unless --keep is given. The
 * started API runs the ingestion bucket at 10^8/s (its Redis call is paid, it never refuses).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { startScriptNodeFlags } from '../../test/support/start-flags';
import { dropDatabase, prepareDatabase, treeCpuMs } from '../support/api-process';
import { pgDelta, pgSnapshot } from './pg-cost';
import { makeTrace as makeSampleTrace } from '../support/sample-trace';

// autocannon ships no types; this is the part of its API used here.
interface AutocannonResult {
  latency: { p50: number; p99: number; p90: number; average: number; max: number };
  requests: { average: number; total: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats?: Record<string, { count: number }>;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.BENCH_URL },
    'api-key': { type: 'string', default: process.env.PANDAPROBE_API_KEY },
    project: { type: 'string', default: process.env.PANDAPROBE_PROJECT_NAME ?? 'bench' },
    'database-url': {
      type: 'string',
      default: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/pp_ingest_bench',
    },
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '20' },
    connections: { type: 'string', default: process.env.BENCH_CONNECTIONS ?? '32' },
    spans: { type: 'string', default: process.env.BENCH_SPANS ?? '10' },
    'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/9' },
    'api-processes': { type: 'string', default: process.env.BENCH_API_PROCESSES },
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
    'log-level': { type: 'string', default: process.env.BENCH_LOG_LEVEL ?? 'info' },
    port: { type: 'string', default: process.env.BENCH_PORT },
    'skip-ceiling': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

const duration = Number(args.duration);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
const spanCount = Number(args.spans);
const runTag = `bench-${randomUUID().slice(0, 8)}`;
/** One 10-span (by default) trace tagged with this run's tag. */
const makeTrace = () => makeSampleTrace(spanCount, ['bench', runTag]);

async function countRows(pool: Pool, tag: string): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM traces WHERE tags && ARRAY[$1]::text[]`, [tag]);
  return rows[0].n;
}

interface Row {
  what: string;
  /** API rows: CPU time of the API process(es) per accepted trace, ms (less sensitive to load than rates). */
  cpuPerTrace?: number;
  /** API rows: traces/s ÷ the ceiling of the same round. */
  ratio?: number;
  rate: number;
  p50: number;
  p99: number;
  load: string;
}
const rows: Row[] = [];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function benchApi(
  pool: Pool,
  url: string,
  apiKey: string | undefined,
  label: string,
  apiPid?: number,
): Promise<string> {
  if (!apiKey) throw new Error('--api-key (or PANDAPROBE_API_KEY) is required');
  const headers = { 'content-type': 'application/json', 'x-api-key': apiKey, 'x-project-name': args.project! };

  // Warm up (and create the project on first use).
  const probe = makeTrace();
  const warm = await fetch(`${url}/traces`, { method: 'POST', headers, body: JSON.stringify(probe) });
  if (warm.status !== 202) throw new Error(`warm-up POST /traces answered ${warm.status}: ${await warm.text()}`);
  const got = await fetch(`${url}/traces/${String(probe.trace_id)}`, { headers });
  const { project_id: projectId } = (await got.json()) as { project_id: string };
  await autocannon({
    url: `${url}/traces`,
    connections,
    duration: 3,
    requests: [
      { method: 'POST', headers, setupRequest: (req: object) => ({ ...req, body: JSON.stringify(makeTrace()) }) },
    ],
  });
  const before = await countRows(pool, runTag);
  const pgBefore = await pgSnapshot(pool);
  const gcBefore = gcPauses.ms;
  const cpuBefore = apiPid ? treeCpuMs(apiPid) : 0;

  const result = await autocannon({
    url: `${url}/traces`,
    connections,
    duration,
    requests: [
      { method: 'POST', headers, setupRequest: (req: object) => ({ ...req, body: JSON.stringify(makeTrace()) }) },
    ],
  });
  const cpuPerTrace = apiPid ? (treeCpuMs(apiPid) - cpuBefore) / Math.max(1, result['2xx']) : undefined;
  const gcPerTrace = (gcPauses.ms - gcBefore) / Math.max(1, result['2xx']);
  const pgCost = pgDelta(pgBefore, await pgSnapshot(pool), result['2xx']);
  const durable = (await countRows(pool, runTag)) - before;
  const statuses = Object.entries(result.statusCodeStats ?? {})
    .map(([code, s]) => `${code}×${s.count}`)
    .join(' ');
  console.log(`\n${label}  POST /traces  (${connections} connections, ${duration} s, ${spanCount} spans per trace)`);
  console.log(
    `  accepted (2xx):      ${result['2xx']}   other: ${result.non2xx}   errors: ${result.errors}   timeouts: ${result.timeouts}   [${statuses}]`,
  );
  console.log(`  durable in DB:       ${durable}  (${(durable / result.duration).toFixed(0)} traces/s)`);
  console.log(
    `  latency ms:          p50 ${result.latency.p50}   p90 ${result.latency.p90}   p99 ${result.latency.p99}   max ${result.latency.max}`,
  );
  if (cpuPerTrace !== undefined) console.log(`  API CPU per trace:   ${cpuPerTrace.toFixed(2)} ms`);
  if (gcPauses.lines > 0) console.log(`  API GC per trace:    ${gcPerTrace.toFixed(3)} ms (--trace-gc pauses)`);
  console.log(`  PostgreSQL:          ${pgCost}`);
  console.log(`  load average:        ${load()}`);
  rows.push({
    what: label,
    cpuPerTrace,
    rate: durable / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    load: load(),
  });
  return projectId;
}

const DIST = join(__dirname, '..', '..');
/** A V8 --trace-gc line's pause: "Scavenge 20.1 (25.3) -> 12.0 (26.3) MB, 1.23 / 0.00 ms". */
const GC_LINE = /(?:Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep)[^,\n]*MB, (?:pooled: [^,]*, )?([\d.]+) \/ [\d.]+ ms/g;
const gcPauses = { lines: 0, ms: 0 };

/** Starts the built API (dist/src/main.js) with `processes` HTTP processes, ingestion unthrottled. */
async function startApi(processes: number, port: number, apiKey: string): Promise<ChildProcess> {
  // The flags of `npm start` (V8's heap settings), then BENCH_NODE_ARGS.
  const nodeArgs = [
    ...startScriptNodeFlags('start'),
    ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child = spawn(process.execPath, [...nodeArgs, join(DIST, 'src', 'main.js')], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      // The deployment's default (one line per request); --log-level warn measures without it.
      LOG_LEVEL: args['log-level'],
      PORT: String(port),
      API_PROCESSES: String(processes),
      DATABASE_URL: args['database-url'],
      REDIS_URL: args['redis-url'],
      QUEUE_PREFIX: `ingest${process.pid}`,
      // The bucket runs (its Redis call is part of the cost) but never refuses.
      RATE_LIMIT_INGEST: '100000000',
      RATE_LIMIT_INGEST_BURST: '100000000',
      RATE_LIMIT_DEFAULT: '100000000',
      INIT_ORG_NAME: 'bench',
      INIT_PROJECT_NAME: args.project,
      INIT_API_KEY: apiKey,
      INIT_CREATE: 'true',
    },
    // The request log goes to a pipe that is read and dropped, as a log collector would read it.
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // With --trace-gc in BENCH_NODE_ARGS, V8's lines come on the same pipe: their pauses are summed.
  let tail = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = tail + chunk.toString('latin1');
    const cut = text.lastIndexOf('\n');
    tail = text.slice(cut + 1);
    for (const m of text.slice(0, cut + 1).matchAll(GC_LINE)) {
      gcPauses.lines += 1;
      gcPauses.ms += Number(m[1]);
    }
  });
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the API did not start in 60 s');
}

async function stopApi(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function benchCeiling(pool: Pool, projectId: string, label: string): Promise<void> {
  // The minimal write of the same rows: one statement inserting the trace and its spans.
  const tag = `${runTag}-direct`;
  // Rows of earlier rounds carry the same tag: count this round's only (before the fix the
  // ceiling of round n counted rounds 1..n, inflating it n-fold and shrinking the ratio).
  const before = await countRows(pool, tag);
  const pgBefore = await pgSnapshot(pool);
  const latencies: number[] = [];
  let written = 0;
  const deadline = Date.now() + duration * 1000;
  const worker = async () => {
    const client = await pool.connect();
    try {
      while (Date.now() < deadline) {
        const trace = makeTrace();
        trace.tags = ['bench', tag];
        const spans = trace.spans as Array<Record<string, unknown>>;
        const t0 = process.hrtime.bigint();
        // One statement (atomic on its own): the trace row, then its spans from one JSON parameter.
        await client.query(
          `WITH ins AS (
             INSERT INTO traces (trace_id, project_id, name, status, input, output, metadata, started_at, ended_at,
                                 session_id, user_id, tags, environment, release, span_count, total_tokens, total_cost)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             RETURNING trace_id)
           INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, status, input, output, model, token_usage,
                              started_at, ended_at, completion_start_time, model_parameters, cost)
           SELECT ins.trace_id, x.span_id, x.parent_span_id, x.name, x.kind, x.status, x.input, x.output, x.model,
                  x.token_usage, x.started_at, x.ended_at, x.completion_start_time, x.model_parameters, x.cost
           FROM ins, jsonb_to_recordset($18::jsonb) AS x(span_id uuid, parent_span_id uuid, name text, kind text,
             status text, input jsonb, output jsonb, model text, token_usage jsonb, started_at timestamptz,
             ended_at timestamptz, completion_start_time timestamptz, model_parameters jsonb, cost jsonb)`,
          [
            trace.trace_id,
            projectId,
            trace.name,
            trace.status,
            JSON.stringify(trace.input),
            JSON.stringify(trace.output),
            JSON.stringify(trace.metadata),
            trace.started_at,
            trace.ended_at,
            trace.session_id,
            trace.user_id,
            trace.tags,
            trace.environment,
            trace.release,
            spans.length,
            1500,
            0.0015,
            JSON.stringify(spans),
          ],
        );
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        written += 1;
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const pgCost = pgDelta(pgBefore, await pgSnapshot(pool), written);
  const durable = (await countRows(pool, tag)) - before;
  latencies.sort((x, y) => x - y);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
  console.log(`\nCeiling: the same rows straight to PostgreSQL (${connections} connections, ${duration} s)`);
  console.log(
    `  committed:           ${written}   durable in DB: ${durable}  (${(durable / duration).toFixed(0)} traces/s)`,
  );
  console.log(`  latency ms:          p50 ${pct(50)}   p99 ${pct(99)}`);
  console.log(`  PostgreSQL:          ${pgCost}`);
  console.log(`  load average:        ${load()}`);
  rows.push({ what: label, rate: durable / duration, p50: Number(pct(50)), p99: Number(pct(99)), load: load() });
}

function printSummary(): void {
  console.log(`\n| | traces/s | × ceiling | API CPU ms/trace | p50 ms | p99 ms | load average (1, 5, 15 min) |`);
  console.log(`|---|---|---|---|---|---|---|`);
  for (const r of rows) {
    const ratio = r.ratio !== undefined ? r.ratio.toFixed(2) : r.what.startsWith('ceiling') ? '1.00' : '-';
    const cpu = r.cpuPerTrace !== undefined ? r.cpuPerTrace.toFixed(2) : '-';
    console.log(`| ${r.what} | ${r.rate.toFixed(0)} | ${ratio} | ${cpu} | ${r.p50} | ${r.p99} | ${r.load} |`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Rounds of API then ceiling, each `duration` s, so both see the same load; the ratio is per round. */
async function alternate(
  pool: Pool,
  url: string,
  apiKey: string | undefined,
  label: string,
  apiPid?: number,
): Promise<void> {
  const ratios: number[] = [];
  const cpu: number[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    const projectId = await benchApi(pool, url, apiKey, `${label}, round ${round}`, apiPid);
    if (rows[rows.length - 1].cpuPerTrace !== undefined) cpu.push(rows[rows.length - 1].cpuPerTrace!);
    if (args['skip-ceiling']) continue;
    const api = rows[rows.length - 1];
    await benchCeiling(pool, projectId, `ceiling (raw pg), round ${round}`);
    ratios.push(api.rate / rows[rows.length - 1].rate);
    api.ratio = ratios[ratios.length - 1];
  }
  if (cpu.length) summaries.push(`${label}: median API CPU per trace ${median(cpu).toFixed(2)} ms`);
  if (ratios.length)
    summaries.push(
      `${label}: median × ceiling over ${ratios.length} rounds = ${median(ratios).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(', ')})`,
    );
}

const summaries: string[] = [];

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: args['database-url'], max: connections + 2 });
  try {
    const counts = (args['api-processes'] ?? (args.url ? '' : '1')).split(',').filter(Boolean).map(Number);
    if (counts.length > 0) {
      const url = new URL(args['database-url']!);
      const adminUrl = Object.assign(new URL(url), { pathname: '/postgres' }).toString();
      // Each invocation starts from empty tables: an earlier one's deleted rows stay as dead tuples
      // until a vacuum (this machine's PostgreSQL runs without autovacuum) and its rollup marks
      // would be refreshed during this one's rounds.
      await dropDatabase(adminUrl, url.pathname.slice(1));
      await prepareDatabase(adminUrl, url.pathname.slice(1), url.toString());
      const apiKey = `sk_pp_${randomBytes(32).toString('hex')}`;
      for (const n of counts) {
        const port = args.port ? Number(args.port) : 18_000 + (process.pid % 1000);
        const child = await startApi(n, port, apiKey);
        try {
          await alternate(pool, `http://127.0.0.1:${port}`, apiKey, `API, ${n} process${n > 1 ? 'es' : ''}`, child.pid);
        } finally {
          await stopApi(child);
        }
      }
    } else {
      await alternate(pool, args.url!, args['api-key'], 'API');
    }
    printSummary();
    for (const line of summaries) console.log(line);
  } finally {
    if (!args.keep) {
      const { rowCount } = await pool.query(`DELETE FROM traces WHERE tags && ARRAY[$1, $2]::text[]`, [
        runTag,
        `${runTag}-direct`,
      ]);
      console.log(`\n(cleaned up ${rowCount} bench traces; pass --keep to keep them)`);
    }
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
