/**
 * Soak: mixed load on ONE API process and ONE worker process that this script starts itself
 * (dist/src/main.js, dist/src/worker.js), with a database and a Redis DB of its own and the scripted
 * judge answering with latency. Prints throughput, error rate, p50/p99 latency and the RSS of both
 * processes every sample; then sends SIGTERM to both UNDER LOAD, checks that no accepted trace and no
 * finished score was lost, restarts them and checks that every run completes with exactly
 * targets × metrics scores and no duplicates. Not a test: it prints numbers (and exits 1 if a check fails).
 *
 *   npm run soak                               # 10 minutes
 *   SOAK_SECONDS=60 npm run soak               # a short one
 *
 * Environment (all optional): SOAK_SECONDS (600), SOAK_SAMPLE_SECONDS (10), SOAK_JUDGE_LATENCY_MS (200),
 * SOAK_INGEST_CONCURRENCY (4), SOAK_READ_CONCURRENCY (2), SOAK_RUN_EVERY_SECONDS (10),
 * SOAK_DATABASE (pp_soak, recreated), SOAK_REDIS_URL (redis://127.0.0.1:6379/9, flushed), SOAK_PORT (18700),
 * SOAK_WORKER_CONCURRENCY (32), SOAK_TERM_GRACE_SECONDS (30: then SIGKILL, as `docker stop` would),
 * SOAK_FINISH_TIMEOUT_SECONDS (600), SOAK_JSON (a file to write every figure to, as JSON).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/env';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { startJudgeServer } from '../../test/support/judge-server';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const SOAK_SECONDS = num('SOAK_SECONDS', 600);
const SAMPLE_SECONDS = num('SOAK_SAMPLE_SECONDS', 10);
const JUDGE_LATENCY_MS = num('SOAK_JUDGE_LATENCY_MS', 200);
const INGEST_CONCURRENCY = num('SOAK_INGEST_CONCURRENCY', 4);
const READ_CONCURRENCY = num('SOAK_READ_CONCURRENCY', 2);
const RUN_EVERY_SECONDS = num('SOAK_RUN_EVERY_SECONDS', 10);
const PORT = num('SOAK_PORT', 18700);
const WORKER_CONCURRENCY = num('SOAK_WORKER_CONCURRENCY', 32);
const DATABASE = process.env.SOAK_DATABASE ?? 'pp_soak';
const REDIS_URL = process.env.SOAK_REDIS_URL ?? 'redis://127.0.0.1:6379/9';
const PG_ADMIN = process.env.SOAK_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DATABASE_URL = Object.assign(new URL(PG_ADMIN), { pathname: `/${DATABASE}` }).toString();
const METRICS = ['task_completion', 'tool_correctness', 'confidence', 'coherence'];
const ROOT = join(__dirname, '..', '..', '..');
const API_KEY = `sk_pp_${randomBytes(32).toString('hex')}`;
const PROJECT = 'soak';
const BASE = `http://127.0.0.1:${PORT}`;
const HEADERS = { 'X-API-Key': API_KEY, 'X-Project-Name': PROJECT, 'Content-Type': 'application/json' };

// ---------------------------------------------------------------------------------------------------
// processes

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  log: string[];
}

function startProcess(name: string, script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const keep = (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.trim()) log.push(line);
    if (log.length > 2000) log.splice(0, log.length - 2000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { name, child, exited, log };
}

/** Resident set size in MB, from /proc (Linux). */
function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

async function waitHealthy(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${BASE}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(250);
  }
  throw new Error(`the API did not become ready on ${BASE}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------
// measurement

type Op = 'ingest' | 'list_traces' | 'get_trace' | 'list_runs' | 'get_run' | 'run_scores' | 'create_run';

class Stats {
  latencies = new Map<Op, number[]>();
  ok = new Map<Op, number>();
  /** Non-2xx answers, by op and status. */
  errors = new Map<string, number>();
  /** Requests that got no answer (connection refused/reset, timeout). */
  transport = new Map<Op, number>();

  record(op: Op, ms: number, status: number | null) {
    if (status === null) return void this.transport.set(op, (this.transport.get(op) ?? 0) + 1);
    if (status >= 200 && status < 300) {
      this.ok.set(op, (this.ok.get(op) ?? 0) + 1);
      const l = this.latencies.get(op) ?? [];
      l.push(ms);
      this.latencies.set(op, l);
    } else this.errors.set(`${op} ${status}`, (this.errors.get(`${op} ${status}`) ?? 0) + 1);
  }

  total() {
    const ok = [...this.ok.values()].reduce((a, b) => a + b, 0);
    const errors = [...this.errors.values()].reduce((a, b) => a + b, 0);
    const transport = [...this.transport.values()].reduce((a, b) => a + b, 0);
    return { ok, errors, transport, all: ok + errors + transport };
  }
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

// ---------------------------------------------------------------------------------------------------
// load

interface State {
  stop: boolean;
  /** Trace ids answered 202. */
  accepted: Set<string>;
  /** Runs answered 202, with what they were asked to do. */
  runs: { id: string; targets: number; metrics: number }[];
  stats: Stats;
  traceIds: string[];
  bucket: () => string;
}

async function call(
  s: State,
  op: Op,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number | null; json: any }> {
  const started = performance.now();
  try {
    const res = await fetch(`${BASE}${path}`, {
      method,
      headers: HEADERS,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    s.stats.record(op, performance.now() - started, res.status);
    return { status: res.status, json: text ? JSON.parse(text) : null };
  } catch {
    s.stats.record(op, performance.now() - started, null);
    return { status: null, json: null };
  }
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
const USERS = ['u-ada', 'u-bob', 'u-chen', 'u-dita', 'u-emre'];
const QUESTIONS = [
  'Where is my order?',
  'Cancel my subscription',
  'Refund for a damaged item',
  'Change my address',
  'Invoice copy for March',
];

/** A support-agent turn: agent span, a tool call, an LLM answer (3 spans, ~2 KB). */
function traceBody(bucket: string) {
  const traceId = randomUUID();
  const t0 = Date.now();
  const iso = (ms: number) => new Date(t0 + ms).toISOString();
  const agent = randomUUID();
  const q = pick(QUESTIONS);
  const order = String(1000 + Math.floor(Math.random() * 9000));
  return {
    trace_id: traceId,
    name: 'support-turn',
    status: Math.random() < 0.05 ? 'ERROR' : 'COMPLETED',
    started_at: iso(0),
    ended_at: iso(2400),
    session_id: `sess-${Math.floor(Math.random() * 500)}`,
    user_id: pick(USERS),
    tags: ['soak', bucket],
    environment: pick(['production', 'staging']),
    release: 'v2.3.1',
    metadata: { channel: pick(['web', 'email', 'chat']) },
    input: { messages: [{ role: 'user', content: `${q} (order ${order})` }] },
    output: {
      messages: [{ role: 'assistant', content: `I looked up order ${order}: it ships on Monday. Anything else?` }],
    },
    spans: [
      {
        span_id: agent,
        name: 'support-agent',
        kind: 'AGENT',
        status: 'OK',
        started_at: iso(0),
        ended_at: iso(2400),
        input: q,
      },
      {
        span_id: randomUUID(),
        parent_span_id: agent,
        name: 'lookup_order',
        kind: 'TOOL',
        status: 'OK',
        started_at: iso(200),
        ended_at: iso(500),
        input: { order_id: order },
        output: { status: 'packed', carrier: 'UPS', ships: 'Monday' },
      },
      {
        span_id: randomUUID(),
        parent_span_id: agent,
        name: 'compose_answer',
        kind: 'LLM',
        status: 'OK',
        model: 'gpt-4o-mini',
        started_at: iso(600),
        ended_at: iso(2300),
        input: {
          messages: [
            { role: 'system', content: 'You are a concise support agent.' },
            { role: 'user', content: q },
          ],
        },
        output: `I looked up order ${order}: it ships on Monday. Anything else?`,
        token_usage: { prompt_tokens: 180, completion_tokens: 22, total_tokens: 202 },
        cost: { input: 0.000027, output: 0.000013, total: 0.00004 },
      },
    ],
  };
}

async function ingestLoop(s: State): Promise<void> {
  while (!s.stop) {
    const body = traceBody(s.bucket());
    const r = await call(s, 'ingest', 'POST', '/traces', body);
    if (r.status === 202) {
      s.accepted.add(r.json.trace_id);
      s.traceIds.push(r.json.trace_id);
      if (s.traceIds.length > 5000) s.traceIds.splice(0, 1000);
    } else if (r.status === null) await sleep(50);
  }
}

async function readLoop(s: State): Promise<void> {
  let i = 0;
  while (!s.stop) {
    i += 1;
    let r: { status: number | null };
    switch (i % 5) {
      case 0:
        r = await call(s, 'list_traces', 'GET', `/traces?limit=50&tags=soak&sort_by=started_at&sort_order=desc`);
        break;
      case 1:
        r = s.traceIds.length ? await call(s, 'get_trace', 'GET', `/traces/${pick(s.traceIds)}`) : { status: 0 };
        break;
      case 2:
        r = await call(s, 'list_runs', 'GET', `/evaluations/trace-runs?limit=20`);
        break;
      case 3:
        r = s.runs.length
          ? await call(s, 'get_run', 'GET', `/evaluations/trace-runs/${pick(s.runs).id}`)
          : { status: 0 };
        break;
      default:
        r = s.runs.length
          ? await call(s, 'run_scores', 'GET', `/evaluations/trace-runs/${pick(s.runs).id}/scores`)
          : { status: 0 };
    }
    if (r.status === null) await sleep(50);
  }
}

/** Every RUN_EVERY_SECONDS: a filtered, sampled run over the traces of the previous time bucket. */
async function runLoop(s: State): Promise<void> {
  let last = '';
  while (!s.stop) {
    await sleep(1000);
    const current = s.bucket();
    if (current === last) continue;
    const previous = last;
    last = current;
    if (!previous) continue;
    const r = await call(s, 'create_run', 'POST', '/evaluations/trace-runs', {
      name: `soak ${previous}`,
      metrics: METRICS,
      filters: { tags: [previous], status: 'COMPLETED' },
      sampling_rate: 0.5,
    });
    if (r.status === 202)
      s.runs.push({ id: (r as any).json.id, targets: (r as any).json.total_targets, metrics: METRICS.length });
  }
}

// ---------------------------------------------------------------------------------------------------

async function prepareStorage(): Promise<void> {
  const admin = new Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${DATABASE.replace(/"/g, '')}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${DATABASE.replace(/"/g, '')}"`);
  await admin.end();
  const ds = new DataSource(
    buildDataSourceOptions(loadConfig({ DATABASE_URL, REDIS_URL, JWT_SECRET: 'x'.repeat(32) })),
  );
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  await redis.quit();
}

async function main(): Promise<void> {
  const machine = {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
  };
  console.log(`soak: ${SOAK_SECONDS}s of mixed load; machine ${JSON.stringify(machine)}`);
  console.log(
    `load: ${INGEST_CONCURRENCY} ingest loops, ${READ_CONCURRENCY} read loops, a run every ${RUN_EVERY_SECONDS}s ` +
      `(metrics ${METRICS.join(',')}, sampling 0.5), judge latency ${JUDGE_LATENCY_MS} ms, worker concurrency ${WORKER_CONCURRENCY}`,
  );
  await prepareStorage();
  const judge = await startJudgeServer({ latencyMs: JUDGE_LATENCY_MS });
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(PORT),
    DATABASE_URL,
    REDIS_URL,
    QUEUE_PREFIX: 'soak',
    JWT_SECRET: randomBytes(24).toString('hex'),
    ADMIN_TOKEN: '',
    INIT_ORG_NAME: 'Soak',
    INIT_CREATE: 'true',
    INIT_PROJECT_NAME: PROJECT,
    INIT_API_KEY: API_KEY,
    RATE_LIMIT_DEFAULT: '100000000',
    RATE_LIMIT_INGEST: '100000000',
    RATE_LIMIT_EVAL_RUNS: '100000000',
    OPENAI_BASE_URL: judge.baseUrl,
    OPENAI_API_KEY: 'sk-scripted',
    EVAL_LLM_MODEL: 'openai/scripted-judge',
    EVAL_EMBEDDING_MODEL: 'openai/scripted-embedding',
    EVAL_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    EVAL_SWEEP_INTERVAL_MS: '5000',
    RUN_WORKER_IN_PROCESS: 'false',
  };
  let api = startProcess('api', 'main.js', env);
  await waitHealthy();
  let worker = startProcess('worker', 'worker.js', env);
  await sleep(1500);

  const started = Date.now();
  const s: State = {
    stop: false,
    accepted: new Set(),
    runs: [],
    stats: new Stats(),
    traceIds: [],
    bucket: () => `b${Math.floor((Date.now() - started) / (RUN_EVERY_SECONDS * 1000))}`,
  };
  const loops = [
    ...Array.from({ length: INGEST_CONCURRENCY }, () => ingestLoop(s)),
    ...Array.from({ length: READ_CONCURRENCY }, () => readLoop(s)),
    runLoop(s),
  ];

  const pool = new Pool({ connectionString: DATABASE_URL, max: 2 });
  const samples: Record<string, unknown>[] = [];
  let judgeCalls = 0;
  let judgeErrors = 0;
  let prev = { ok: 0, errors: 0, transport: 0, all: 0, ingest: 0 };
  const sample = async () => {
    const t = s.stats.total();
    const ingest = s.stats.ok.get('ingest') ?? 0;
    const finished = judge.requests.splice(0);
    judgeCalls += finished.length;
    judgeErrors += finished.filter((r) => r.status !== undefined && r.status !== 200).length;
    let scores = 0;
    let pending = 0;
    try {
      const [{ n }] = (await pool.query(`SELECT count(*)::int AS n FROM trace_scores`)).rows;
      const [{ p }] = (
        await pool.query(`SELECT count(*)::int AS p FROM eval_run_items WHERE state IN ('PENDING','RUNNING')`)
      ).rows;
      scores = n;
      pending = p;
    } catch {
      /* ignore */
    }
    const row = {
      t_s: Math.round((Date.now() - started) / 1000),
      req_per_s: round((t.all - prev.all) / SAMPLE_SECONDS),
      ingest_per_s: round((ingest - prev.ingest) / SAMPLE_SECONDS),
      errors: t.errors - prev.errors + (t.transport - prev.transport),
      judge_calls: finished.length,
      runs: s.runs.length,
      scores,
      items_open: pending,
      api_rss_mb: rssMb(api.child.pid),
      worker_rss_mb: rssMb(worker.child.pid),
      load1: round(loadavg()[0], 2),
    };
    prev = { ...t, ingest };
    samples.push(row);
    console.log(
      Object.entries(row)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    );
  };
  const timer = setInterval(() => void sample(), SAMPLE_SECONDS * 1000);
  await sleep(SOAK_SECONDS * 1000);
  clearInterval(timer);
  await sample();

  // ---- steady-state figures -----------------------------------------------------------------------
  const elapsed = (Date.now() - started) / 1000;
  const steady = s.stats.total();
  const perOp: Record<string, unknown> = {};
  for (const [op, l] of s.stats.latencies) {
    const sorted = [...l].sort((a, b) => a - b);
    perOp[op] = {
      ok: sorted.length,
      p50_ms: round(pct(sorted, 50)),
      p99_ms: round(pct(sorted, 99)),
      max_ms: round(sorted[sorted.length - 1]),
    };
  }
  const all = [...s.stats.latencies.values()].flat().sort((a, b) => a - b);
  const steadyFigures = {
    seconds: round(elapsed, 0),
    requests: steady.all,
    req_per_s: round(steady.all / elapsed),
    ingested: s.stats.ok.get('ingest') ?? 0,
    ingest_per_s: round((s.stats.ok.get('ingest') ?? 0) / elapsed),
    error_rate_pct: round(((steady.errors + steady.transport) / Math.max(1, steady.all)) * 100, 3),
    errors: Object.fromEntries([...s.stats.errors, ...[...s.stats.transport].map(([k, v]) => [`${k} no-answer`, v])]),
    p50_ms: round(pct(all, 50)),
    p99_ms: round(pct(all, 99)),
    runs_created: s.runs.length,
    judge_calls: judgeCalls,
    judge_call_errors: judgeErrors,
    per_op: perOp,
  };
  console.log('\nsteady state:', JSON.stringify(steadyFigures, null, 2));

  // ---- SIGTERM both under load ---------------------------------------------------------------------
  // Make sure the worker is mid-run when the signal comes: one more run over the last three buckets,
  // and the signal once a tenth of it is done (load keeps running meanwhile).
  const bucketNow = Number(s.bucket().slice(1));
  const lastRun = await call(s, 'create_run', 'POST', '/evaluations/trace-runs', {
    name: 'soak: in flight at SIGTERM',
    metrics: METRICS,
    filters: { tags: [1, 2, 3].map((k) => `b${bucketNow - k}`) },
    sampling_rate: 1,
  });
  let inFlightRun: { id: string; total_targets: number; evaluated_count: number } | null = null;
  if (lastRun.status === 202) {
    s.runs.push({ id: lastRun.json.id, targets: lastRun.json.total_targets, metrics: METRICS.length });
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      const r = await call(s, 'get_run', 'GET', `/evaluations/trace-runs/${lastRun.json.id}`);
      inFlightRun = r.json;
      if (r.json && r.json.evaluated_count >= Math.max(1, Math.floor(r.json.total_targets / 10))) break;
      await sleep(200);
    }
  }
  const openAtTerm = (
    await pool.query(`SELECT count(*)::int AS n FROM eval_run_items WHERE state IN ('PENDING','RUNNING')`)
  ).rows[0].n;
  const before = s.stats.total();
  const scoresBefore = new Map<string, string | null>(
    (await pool.query(`SELECT id, value FROM trace_scores`)).rows.map((r: { id: string; value: string | null }) => [
      r.id,
      r.value,
    ]),
  );
  const termAt = Date.now();
  api.child.kill('SIGTERM');
  worker.child.kill('SIGTERM');
  const timeout = (ms: number) =>
    sleep(ms).then(() => ({ code: null, signal: 'TIMEOUT' as NodeJS.Signals, at: Date.now() }));
  const grace = num('SOAK_TERM_GRACE_SECONDS', 30) * 1000;
  const [apiExit, workerExit] = await Promise.all([
    Promise.race([api.exited, timeout(grace)]),
    Promise.race([worker.exited, timeout(grace)]),
  ]);
  // Load keeps hammering the dead port for a moment, as clients would.
  await sleep(2000);
  s.stop = true;
  await Promise.all(loops);
  const afterTerm = s.stats.total();
  const shutdown = {
    api_exit: { code: apiExit.code, signal: apiExit.signal, after_ms: apiExit.at - termAt },
    worker_exit: { code: workerExit.code, signal: workerExit.signal, after_ms: workerExit.at - termAt },
    run_in_flight: inFlightRun && {
      id: inFlightRun.id,
      total_targets: inFlightRun.total_targets,
      evaluated_at_sigterm: inFlightRun.evaluated_count,
    },
    ledger_items_open_at_sigterm: openAtTerm,
    requests_during_shutdown: afterTerm.all - before.all,
    unanswered_during_shutdown: afterTerm.transport - before.transport,
    items_left_running_or_leased: (
      await pool.query(
        `SELECT count(*)::int AS n FROM eval_run_items WHERE state = 'RUNNING' OR lease_token IS NOT NULL`,
      )
    ).rows[0].n,
  };
  if ((apiExit.signal as string) === 'TIMEOUT') api.child.kill('SIGKILL');
  if ((workerExit.signal as string) === 'TIMEOUT') worker.child.kill('SIGKILL');

  // ---- nothing lost ----------------------------------------------------------------------------------
  const accepted = [...s.accepted];
  let missingTraces = 0;
  for (let i = 0; i < accepted.length; i += 5000) {
    const chunk = accepted.slice(i, i + 5000);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM traces WHERE trace_id = ANY($1::uuid[])`, [
      chunk,
    ]);
    missingTraces += chunk.length - rows[0].n;
  }
  const scoresAfterStop = new Map<string, string | null>(
    (await pool.query(`SELECT id, value FROM trace_scores`)).rows.map((r: { id: string; value: string | null }) => [
      r.id,
      r.value,
    ]),
  );

  // ---- restart, finish -------------------------------------------------------------------------------
  const restartAt = Date.now();
  api = startProcess('api', 'main.js', env);
  await waitHealthy();
  worker = startProcess('worker', 'worker.js', env);
  const deadline = Date.now() + num('SOAK_FINISH_TIMEOUT_SECONDS', 600) * 1000;
  let unfinished = Infinity;
  while (Date.now() < deadline) {
    unfinished = (await pool.query(`SELECT count(*)::int AS n FROM eval_runs WHERE status IN ('PENDING','RUNNING')`))
      .rows[0].n;
    if (unfinished === 0) break;
    await sleep(1000);
  }
  const finishedAfterMs = Date.now() - restartAt;
  judgeCalls += judge.requests.splice(0).length;

  const runRows = (
    await pool.query(
      `SELECT r.id, r.status, r.total_targets, r.evaluated_count, r.succeeded_count, r.failed_count, cardinality(r.metric_names) AS metrics,
              (SELECT count(*)::int FROM trace_scores s WHERE s.eval_run_id = r.id) AS scores,
              (SELECT count(DISTINCT (s.trace_id, s.name))::int FROM trace_scores s WHERE s.eval_run_id = r.id) AS distinct_pairs
       FROM eval_runs r`,
    )
  ).rows as {
    id: string;
    status: string;
    total_targets: number;
    evaluated_count: number;
    succeeded_count: number;
    failed_count: number;
    metrics: number;
    scores: number;
    distinct_pairs: number;
  }[];
  const wrong = runRows.filter(
    (r) =>
      r.status !== 'COMPLETED' ||
      r.scores !== r.total_targets * r.metrics ||
      r.distinct_pairs !== r.scores ||
      r.evaluated_count !== r.total_targets ||
      r.succeeded_count + r.failed_count !== r.total_targets * r.metrics,
  );
  const scoresNow = new Map<string, string | null>(
    (await pool.query(`SELECT id, value FROM trace_scores`)).rows.map((r: { id: string; value: string | null }) => [
      r.id,
      r.value,
    ]),
  );
  const lostScores = [...scoresBefore.keys()].filter((id) => !scoresNow.has(id)).length;
  const changedScores = [...scoresBefore].filter(([id, v]) => scoresNow.has(id) && scoresNow.get(id) !== v).length;
  const lostAfterStop = [...scoresAfterStop.keys()].filter((id) => !scoresNow.has(id)).length;
  const runsKnownToClient = new Set(s.runs.map((r) => r.id));
  const runsMissing = [...runsKnownToClient].filter((id) => !runRows.some((r) => r.id === id)).length;

  const recovery = {
    accepted_traces: accepted.length,
    accepted_traces_missing: missingTraces,
    scores_before_sigterm: scoresBefore.size,
    scores_lost: lostScores + lostAfterStop,
    scores_changed: changedScores,
    runs: runRows.length,
    runs_accepted_but_missing: runsMissing,
    runs_unfinished: unfinished,
    runs_wrong: wrong.length,
    wrong_examples: wrong.slice(0, 3),
    scores_total: runRows.reduce((a, r) => a + r.scores, 0),
    failed_pairs: runRows.reduce((a, r) => a + r.failed_count, 0),
    completed_after_restart_s: round(finishedAfterMs / 1000),
    judge_calls_total: judgeCalls,
  };
  const finalRss = { api_rss_mb: rssMb(api.child.pid), worker_rss_mb: rssMb(worker.child.pid) };
  console.log('\nSIGTERM under load:', JSON.stringify(shutdown, null, 2));
  console.log('\nafter restart:', JSON.stringify(recovery, null, 2));

  api.child.kill('SIGTERM');
  worker.child.kill('SIGTERM');
  await Promise.race([Promise.all([api.exited, worker.exited]), sleep(30_000)]);
  await pool.end();
  await judge.close();

  const ok =
    missingTraces === 0 &&
    lostScores + lostAfterStop === 0 &&
    changedScores === 0 &&
    wrong.length === 0 &&
    unfinished === 0 &&
    runsMissing === 0;
  if (process.env.SOAK_JSON)
    writeFileSync(
      process.env.SOAK_JSON,
      JSON.stringify({ machine, steady: steadyFigures, samples, shutdown, recovery, finalRss, ok }, null, 2),
    );
  console.log(`\n${ok ? 'PASS' : 'FAIL'}: ${ok ? 'nothing lost, every run complete and exact' : 'see above'}`);
  if (!ok) {
    console.log('api log tail:\n' + api.log.slice(-20).join('\n'));
    console.log('worker log tail:\n' + worker.log.slice(-20).join('\n'));
  }
  process.exit(ok ? 0 : 1);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
