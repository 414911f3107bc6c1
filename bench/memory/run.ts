/**
 * Memory benchmark (prints numbers; not a test): the documented deployment, one API process and one
 * worker built from dist and started with the node flags of `npm start` / `npm run start:worker`,
 * through a fixed workload, with the resident memory (RSS) of each process sampled every 500 ms.
 *
 *   npm run build:tools
 *   node dist/bench/memory/run.js [--database-url postgresql://…/pp_memory_bench] [--redis-url redis://…/9]
 *
 * Workload: start and settle (BENCH_START_SECONDS, 30), ingestion at 32 clients (BENCH_INGEST_TRACES,
 * 5,000 10-span traces), then three runs in a row of 1,000 freshly ingested traces × 3 metrics
 * (task_completion, confidence, coherence) with the scripted judge answering at once, the analytics
 * reads, then rest (BENCH_REST_SECONDS, 60). The database is dropped and recreated; Redis db is flushed.
 * BENCH_API_NODE_ARGS / BENCH_WORKER_NODE_ARGS replace the flags read from package.json (A/B runs).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Pool } from 'pg';
import Redis from 'ioredis';
import { startJudgeServer } from '../../test/support/judge-server';
import { startScriptNodeFlags } from '../../test/support/start-flags';
import { dropDatabase, prepareDatabase, sleep, waitHealthy } from '../support/api-process';
import { makeTrace } from '../support/sample-trace';

interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  duration: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const { values: args } = parseArgs({
  options: {
    'database-url': {
      type: 'string',
      default: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/pp_memory_bench',
    },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/9' },
    port: { type: 'string', default: process.env.BENCH_PORT ?? '18741' },
  },
});
const ROOT = join(__dirname, '..', '..', '..');
const DB_URL = args['database-url']!;
const BASE = `http://127.0.0.1:${args.port}`;
const API_KEY = `sk_pp_${randomBytes(32).toString('hex')}`;
const PROJECT = 'memory';
const HEADERS = { 'x-api-key': API_KEY, 'x-project-name': PROJECT, 'content-type': 'application/json' };
const METRICS = ['task_completion', 'confidence', 'coherence'];
const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback) * 1000;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function nodeArgs(override: string | undefined, script: 'start' | 'start:worker'): string[] {
  return override !== undefined ? override.split(' ').filter(Boolean) : startScriptNodeFlags(script);
}

/** RSS in MB of a process and every process below it (Linux /proc). */
function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* gone */
    }
  }
  let kb = 0;
  const walk = (p: number) => {
    try {
      kb += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* gone */
    }
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return Math.round(kb / 1024);
}

/**
 * A fresh, migrated database: copied from `<name>_template` (an empty migrated database kept from the
 * previous run, migrated again here so a stale one only costs time), since running every migration
 * takes minutes on a busy machine.
 */
async function freshStores(): Promise<void> {
  const url = new URL(DB_URL);
  const name = url.pathname.slice(1);
  const template = `${name}_template`;
  const adminUrl = Object.assign(new URL(url), { pathname: '/postgres' }).toString();
  const admin = async (sql: string, params: unknown[] = []) => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  };
  await dropDatabase(adminUrl, name);
  if ((await admin(`SELECT 1 FROM pg_database WHERE datname = $1`, [template])).rowCount === 0) {
    await prepareDatabase(adminUrl, template, Object.assign(new URL(url), { pathname: `/${template}` }).toString());
  }
  await admin(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  await prepareDatabase(adminUrl, name, DB_URL);
  const redis = new Redis(args['redis-url']!);
  await redis.flushdb();
  await redis.quit();
}

const USAGE_DIR = mkdtempSync(join(tmpdir(), 'pp-memory-'));

function start(entry: string, flags: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // The probe answers SIGWINCH with the process's heap split (usage()); it allocates nothing until asked.
  const probe = ['-r', join(__dirname, 'usage-probe.js')];
  return spawn(process.execPath, [...flags, ...probe, join(ROOT, 'dist', 'src', entry)], {
    cwd: ROOT,
    env: { ...env, BENCH_USAGE_DIR: USAGE_DIR },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** The process's heap split, as its preloaded probe reports it on SIGWINCH ("" if it did not answer). */
async function usage(pid: number): Promise<string> {
  const file = join(USAGE_DIR, `${pid}.json`);
  rmSync(file, { force: true });
  process.kill(pid, 'SIGWINCH');
  for (let i = 0; i < 20 && !existsSync(file); i += 1) await sleep(100);
  if (!existsSync(file)) return '';
  const u = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number> & {
    spaces: Record<string, { size: number; used: number }>;
  };
  const old = u.spaces.old_space;
  const code = u.spaces.code_space;
  const large = u.spaces.large_object_space;
  return (
    `heap ${u.heapUsed}/${u.heapTotal} (old ${old.used}/${old.size}, large ${large.used}/${large.size}, ` +
    `code ${code.size}), external ${u.external} (array buffers ${u.arrayBuffers}), ` +
    `rest ${u.rss - u.heapTotal - u.external} MB`
  );
}

/** Samples both processes every 500 ms; `mark` closes a phase and records its peak and last sample. */
class Sampler {
  private timer: NodeJS.Timeout;
  private peak = { api: 0, worker: 0, total: 0 };
  readonly phases: Array<{
    phase: string;
    api: number;
    worker: number;
    peakApi: number;
    peakWorker: number;
    peakTotal: number;
    load: string;
  }> = [];
  readonly overall = { api: 0, worker: 0, total: 0 };

  constructor(
    private readonly api: number,
    private readonly worker: number,
  ) {
    this.timer = setInterval(() => this.sample(), 500);
  }

  private sample(): { api: number; worker: number } {
    const now = { api: treeRssMb(this.api), worker: treeRssMb(this.worker) };
    for (const key of ['api', 'worker'] as const) {
      this.peak[key] = Math.max(this.peak[key], now[key]);
      this.overall[key] = Math.max(this.overall[key], now[key]);
    }
    this.peak.total = Math.max(this.peak.total, now.api + now.worker);
    this.overall.total = Math.max(this.overall.total, now.api + now.worker);
    return now;
  }

  async mark(phase: string): Promise<void> {
    const split = { api: await usage(this.api), worker: await usage(this.worker) };
    const now = this.sample();
    this.phases.push({
      phase,
      ...now,
      peakApi: this.peak.api,
      peakWorker: this.peak.worker,
      peakTotal: this.peak.total,
      load: load(),
    });
    console.log(
      `  ${phase}: API ${now.api} MB, worker ${now.worker} MB (phase peak ${this.peak.api} / ${this.peak.worker}) | load ${load()}`,
    );
    console.log(`    API    ${split.api}\n    worker ${split.worker}`);
    this.peak = { api: 0, worker: 0, total: 0 };
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** One POST; `retry`: once more when the server closed the reused connection (POST /traces merges by trace_id). */
async function post(path: string, body: unknown, retry = false): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(`${BASE}${path}`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  } catch (error) {
    if (!retry) throw error;
    return post(path, body, false);
  }
}

/** `n` traces tagged `tag`, 32 at a time. */
async function ingest(n: number, tag: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < n) {
        next += 1;
        const res = await post('/traces', makeTrace(10, ['memory', tag]), true);
        if (res.status !== 202) throw new Error(`POST /traces: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }),
  );
}

async function waitRun(pool: Pool, id: string): Promise<number> {
  for (;;) {
    const { rows } = await pool.query(`SELECT status, evaluated_count FROM eval_runs WHERE id = $1`, [id]);
    if (rows[0].status === 'COMPLETED') return rows[0].evaluated_count as number;
    if (rows[0].status === 'FAILED') throw new Error(`run ${id} FAILED`);
    await sleep(250);
  }
}

const WINDOW = `started_after=${new Date(Date.now() - 86_400_000).toISOString()}&started_before=${new Date(Date.now() + 86_400_000).toISOString()}`;
const ANALYTICS = [
  ...['volume', 'errors', 'latency', 'cost', 'tokens'].flatMap((m) =>
    ['hour', 'day'].map((g) => `/traces/analytics?metric=${m}&granularity=${g}&${WINDOW}`),
  ),
  `/traces/analytics?metric=models&${WINDOW}`,
  '/evaluations/analytics/trace-scores/summary',
  ...METRICS.flatMap((m) =>
    ['trend', 'distribution'].map((r) => `/evaluations/analytics/trace-scores/${r}?metric_name=${m}`),
  ),
  '/traces?limit=100',
  '/sessions?limit=100',
  '/evaluations/trace-scores?limit=100',
  '/evaluations/trace-runs',
];

async function main(): Promise<void> {
  console.log(`memory bench: database ${DB_URL}, Redis ${args['redis-url']} | load ${load()}`);
  await freshStores();
  const apiFlags = nodeArgs(process.env.BENCH_API_NODE_ARGS, 'start');
  const workerFlags = nodeArgs(process.env.BENCH_WORKER_NODE_ARGS, 'start:worker');
  const judge = await startJudgeServer();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    // glibc's allocator settings (MALLOC_ARENA_MAX, MALLOC_TRIM_THRESHOLD_, …) pass through, for A/B runs.
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))),
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    PORT: args.port,
    DATABASE_URL: DB_URL,
    REDIS_URL: args['redis-url'],
    QUEUE_PREFIX: `mem${process.pid}`,
    SCRIPTED_JUDGE_URL: judge.baseUrl,
    EVAL_LLM_MODEL: 'scripted/canned-judge',
    EVAL_EMBEDDING_MODEL: 'scripted/canned-embedding',
    INIT_ORG_NAME: 'memory',
    INIT_PROJECT_NAME: PROJECT,
    INIT_API_KEY: API_KEY,
    INIT_CREATE: 'true',
    ADMIN_TOKEN: randomBytes(32).toString('hex'),
    RATE_LIMIT_INGEST: '0',
    RATE_LIMIT_DEFAULT: '100000000',
    RATE_LIMIT_EVAL_RUNS: '100000',
  };
  console.log(
    `API: node ${apiFlags.join(' ')} dist/src/main.js | worker: node ${workerFlags.join(' ')} dist/src/worker.js`,
  );
  const api = start('main.js', apiFlags, env);
  const worker = start('worker.js', workerFlags, env);
  const pool = new Pool({ connectionString: DB_URL, max: 2 });
  const sampler = new Sampler(api.pid!, worker.pid!);
  const runs: number[] = [];
  try {
    await waitHealthy(BASE);
    await sleep(seconds('BENCH_START_SECONDS', 30));
    await sampler.mark('start (settled)');

    // A fixed number of traces, not a duration: the same work whatever the machine's load, so runs compare.
    const result = await autocannon({
      url: `${BASE}/traces`,
      connections: 32,
      amount: Number(process.env.BENCH_INGEST_TRACES ?? 5000),
      requests: [
        {
          method: 'POST',
          headers: HEADERS,
          setupRequest: (req: object) => ({ ...req, body: JSON.stringify(makeTrace(10, ['memory', 'load'])) }),
        },
      ],
    });
    console.log(
      `  ingestion: ${result['2xx']} accepted (${(result['2xx'] / result.duration).toFixed(0)}/s), ${result.non2xx} other`,
    );
    await sampler.mark('ingestion, 32 clients');

    for (let i = 1; i <= 3; i += 1) {
      const tag = `run-${i}`;
      await ingest(1000, tag);
      judge.reset();
      const run = await post('/evaluations/trace-runs', { name: tag, metrics: METRICS, filters: { tags: [tag] } });
      if (run.status !== 202)
        throw new Error(`POST /evaluations/trace-runs: ${run.status} ${JSON.stringify(run.body)}`);
      const evaluated = await waitRun(pool, run.body.id as string);
      if (evaluated !== 1000) throw new Error(`run ${i} evaluated ${evaluated} traces, not 1000`);
      await sleep(seconds('BENCH_RUN_SETTLE_SECONDS', 5));
      await sampler.mark(`after run ${i} (1,000 traces × 3 metrics)`);
      runs.push(treeRssMb(worker.pid!));
    }

    for (let round = 0; round < 3; round += 1) {
      for (const path of ANALYTICS) {
        const res = await fetch(`${BASE}${path}`, { headers: HEADERS });
        if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
    }
    await sampler.mark('analytics reads');
    await sleep(seconds('BENCH_REST_SECONDS', 60));
    await sampler.mark('at rest');

    const [startPhase] = sampler.phases;
    const rest = sampler.phases[sampler.phases.length - 1];
    console.log('\n| RSS, MB | API | worker | total |');
    console.log('|---|---|---|---|');
    console.log(
      `| 30 s after start | ${startPhase.api} | ${startPhase.worker} | ${startPhase.api + startPhase.worker} |`,
    );
    console.log(
      `| peak (whole workload) | ${sampler.overall.api} | ${sampler.overall.worker} | ${sampler.overall.total} |`,
    );
    console.log(`| at rest after the workload | ${rest.api} | ${rest.worker} | ${rest.api + rest.worker} |`);
    console.log(`\nworker after each run: ${runs.join(' → ')} MB`);
    console.log(`load average at the end: ${load()}`);
  } finally {
    sampler.close();
    await Promise.all([stop(api), stop(worker)]);
    await pool.end();
    await judge.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
