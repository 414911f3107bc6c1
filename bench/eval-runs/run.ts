/**
 * Eval-run benchmark (prints numbers; not a test). Self-contained: it migrates a database of its
 * own, starts the API and worker processes from this build, and a scripted judge in-process.
 *
 *   npm run build:tools
 *   node dist/bench/eval-runs/run.js [--parts a,b,c] [--database-url ...] [--redis-url ...]
 *
 * (a) creation latency of a filtered run with sampling_rate 0.1 over 100,000 and 1,000,000 stored
 *     traces, with the API process's memory before and after; plus the ledger shape measurement
 *     (one item per trace vs one per (trace, metric)) at 100,000 targets.
 * (b) evaluations per second with an instant judge and with a 200 ms judge, at worker concurrency
 *     32 and 64, against the ideal concurrency ÷ latency (one single-call metric per trace), each from a
 *     freshly started worker. Issue 27's figure (instant judge, concurrency 32, 10,000 evaluations):
 *     `npm run bench:eval-rate` (= --parts b, BENCH_EVAL_CASES=0:32, BENCH_INSTANT_TRACES=10000).
 *     With each run it prints what PostgreSQL did for it per evaluation (bench/support/pg-footprint.ts):
 *     the CPU of the database's backends, transactions, rows written per table (HOT updates), WAL;
 *     BENCH_PG_WALDUMP=1 also decodes the database's own WAL by relation (needs to read pg_wal: root or
 *     postgres, server on this machine), BENCH_COUNT_STATEMENTS=1 counts the worker's statements with
 *     the backend CPU of each (bench/support/count-statements.ts).
 * (c) worker memory (RSS) by phase (before, during, after) with one worker process for a 10,000- and a
 *     100,000-item run and then three 10,000-item runs in a row (--memory-sizes, BENCH_MEMORY_REPEAT).
 *
 * The database named by --database-url (default pp_evalruns_bench) is DROPPED and recreated, unless
 * BENCH_REUSE_DB=1: then it is only migrated, and part (a) keeps a project whose trace count already
 * matches (seeding 1,000,000 traces takes minutes on a busy machine).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/env';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { startJudgeServer, type JudgeServer } from '../../test/support/judge-server';
import { startScriptNodeFlags } from '../../test/support/start-flags';
import { PgFootprint, printFootprint } from '../support/pg-footprint';

const { values: args } = parseArgs({
  options: {
    parts: { type: 'string', default: process.env.BENCH_PARTS ?? 'a,b,c' },
    'database-url': {
      type: 'string',
      default: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/pp_evalruns_bench',
    },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/4' },
    port: { type: 'string', default: process.env.BENCH_PORT ?? '18731' },
    'eval-seconds': { type: 'string', default: process.env.BENCH_EVAL_SECONDS ?? '15' },
    'memory-sizes': { type: 'string', default: process.env.BENCH_MEMORY_SIZES ?? '10000,100000' },
  },
});
const parts = new Set(args.parts!.split(','));
const DB_URL = args['database-url']!;
const PORT = Number(args.port);
const BASE = `http://127.0.0.1:${PORT}`;
const API_KEY = `sk_pp_${'b'.repeat(64)}`;
const DIST = join(__dirname, '..', '..');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};
/** CPU time a process has used in user and kernel mode, in ms (/proc/<pid>/stat, 100 ticks per second). */
const cpuSplitMs = (pid: number): { user: number; system: number } => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
};
/** CPU time (user + system) a process has used, in ms. */
const cpuMs = (pid: number): number => {
  const { user, system } = cpuSplitMs(pid);
  return user + system;
};
/**
 * Waits until a process has booted: under load 2.5 s may not be enough, and boot CPU counted as
 * evaluation CPU would inflate the figure. Booted = under 10 % of a core over 500 ms (30 s at most).
 * Returns its CPU ms so far.
 */
async function bootedCpuMs(pid: number): Promise<number> {
  for (let waited = 0, last = cpuMs(pid); waited < 30_000; waited += 500) {
    await sleep(500);
    const now = cpuMs(pid);
    if (now - last < 50) return now;
    last = now;
  }
  return cpuMs(pid);
}
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const REUSE_DB = process.env.BENCH_REUSE_DB === '1';
/** BENCH_CREATE_QUICK=1: part (a) without the rate-1 cases and the ledger-shape measurement. */
const QUICK = process.env.BENCH_CREATE_QUICK === '1';

async function freshDatabase(): Promise<void> {
  const url = new URL(DB_URL);
  const name = url.pathname.slice(1);
  const admin = new Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  const exists = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name])).rowCount! > 0;
  if (!REUSE_DB || !exists) {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  }
  await admin.end();
  const ds = new DataSource(buildDataSourceOptions(loadConfig({ DATABASE_URL: DB_URL })));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
}

function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: DB_URL,
    REDIS_URL: args['redis-url'],
    QUEUE_PREFIX: `bench${process.pid}`,
    OPENAI_API_KEY: 'sk-test',
    EVAL_LLM_MODEL: 'openai/judge-bench',
    EVAL_EMBEDDING_MODEL: 'openai/embed-bench',
    RATE_LIMIT_EVAL_RUNS: '100000',
    RATE_LIMIT_DEFAULT: '100000',
    JUDGE_RETRY_BASE_MS: '50',
    ...extra,
  };
}

/**
 * The deployment's node flags (npm start / start:worker; BENCH_WORKER_NODE_ARGS replaces the
 * worker's, as in bench/memory), then BENCH_NODE_ARGS for every process, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" profiles them.
 */
function nodeArgsFor(script: 'main.js' | 'worker.js'): string[] {
  const split = (value: string | undefined) => (value ?? '').split(' ').filter(Boolean);
  const workerFlags = process.env.BENCH_WORKER_NODE_ARGS;
  return [
    ...(script === 'worker.js' && workerFlags !== undefined
      ? split(workerFlags)
      : startScriptNodeFlags(script === 'main.js' ? 'start' : 'start:worker')),
    ...split(process.env.BENCH_NODE_ARGS),
  ];
}

function startProcess(script: 'main.js' | 'worker.js', env: NodeJS.ProcessEnv, extraArgs: string[] = []): ChildProcess {
  const nodeArgs = [...nodeArgsFor(script), ...extraArgs];
  const child = spawn(process.execPath, [...nodeArgs, join(DIST, 'src', script)], {
    cwd: process.cwd(),
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function api(
  method: string,
  path: string,
  project: string,
  body?: unknown,
): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { 'X-API-Key': API_KEY, 'X-Project-Name': project, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, ms: performance.now() - started };
}

async function waitHealthy(): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    try {
      if ((await fetch(`${BASE}/health`)).ok) return;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error('API did not start');
}

async function projectId(pool: Pool, name: string): Promise<string> {
  await api('GET', '/evaluations/trace-runs?limit=1', name); // creates the project on first use
  const { rows } = await pool.query(`SELECT id FROM projects WHERE name = $1`, [name]);
  return rows[0].id;
}

/** n traces with one span each, in one INSERT ... SELECT generate_series. ~10 % ERROR, ~half tagged prod. */
async function seed(pool: Pool, project: string, n: number, withSpans = false): Promise<number> {
  const started = performance.now();
  await pool.query(
    `INSERT INTO traces (trace_id, project_id, name, status, input, output, started_at, ended_at, tags, environment, user_id, span_count)
     SELECT gen_random_uuid(), $1, 'agent-run-' || g, CASE WHEN g % 10 = 0 THEN 'ERROR' ELSE 'COMPLETED' END,
            jsonb_build_object('question', 'question ' || g), jsonb_build_object('answer', 'answer ' || g),
            timestamptz '2026-01-01' + make_interval(secs => g * 2), timestamptz '2026-01-01' + make_interval(secs => g * 2 + 1),
            CASE WHEN g % 2 = 0 THEN ARRAY['prod'] ELSE ARRAY['dev'] END, 'production', 'user-' || (g % 100),
            CASE WHEN $3 THEN 1 ELSE 0 END
     FROM generate_series(1, $2::int) AS g`,
    [project, n, withSpans],
  );
  if (withSpans) {
    await pool.query(
      `INSERT INTO spans (trace_id, span_id, name, kind, status, input, output, model, started_at, ended_at)
       SELECT trace_id, gen_random_uuid(), 'llm-call', 'LLM', 'OK', input, output, 'gpt-4o-mini', started_at, ended_at
       FROM traces WHERE project_id = $1`,
      [project],
    );
  }
  // Steady state: autovacuum has set the visibility map, so counts can use index-only scans.
  await pool.query('VACUUM ANALYZE traces');
  if (withSpans) await pool.query('VACUUM ANALYZE spans');
  return performance.now() - started;
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * Creation as it was before the single scan (count, then a top-k over every match, then the
 * insert), for the date-range cases only, timed straight in PostgreSQL and rolled back.
 */
async function previousCreation(
  pool: Pool,
  projectId: string,
  filters: Record<string, unknown>,
  rate: number,
  seed: number,
): Promise<number> {
  const where = `t.project_id = $1 AND t.started_at >= $2::timestamptz AND t.started_at < $3::timestamptz`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL work_mem = '64MB'`);
    const t0 = performance.now();
    await client.query(
      `WITH matched AS (SELECT count(*)::bigint AS n FROM traces t WHERE ${where}),
       plan AS (SELECT GREATEST(1, floor(n * $4::text::numeric))::bigint AS k FROM matched),
       run AS (INSERT INTO eval_runs (project_id, metric_names, sampling_rate, sampling_seed, total_targets, slice_count)
               SELECT $1, '{confidence}', $4::text::float8, $5, k, greatest(1, ceil(k::numeric / 500))::int FROM plan
               RETURNING id, slice_count),
       items AS (INSERT INTO eval_run_items (run_id, trace_id, slice)
                 SELECT run.id, s.trace_id, abs(uuid_hash_extended(s.trace_id, 0) % run.slice_count)::int FROM run CROSS JOIN (
                   SELECT t.trace_id FROM traces t WHERE ${where}
                   ORDER BY uuid_hash_extended(t.trace_id, $5::bigint), t.trace_id LIMIT (SELECT k FROM plan)) s
                 ORDER BY s.trace_id RETURNING 1)
       SELECT count(*) FROM items`,
      [projectId, filters.date_from, filters.date_to, String(rate), seed],
    );
    const ms = performance.now() - t0;
    await client.query('ROLLBACK');
    return ms;
  } finally {
    client.release();
  }
}

/** A fixed amount of PostgreSQL work, to scale the other figures by how busy the machine is. */
async function calibrate(pool: Pool): Promise<void> {
  const out: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const t0 = performance.now();
    await pool.query(`SELECT count(*) FROM generate_series(1, 2000000) AS g WHERE g % 7 = 0`);
    out.push(performance.now() - t0);
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `calibration: count over generate_series(2e6) ${fmt(out.sort((x, y) => x - y)[1])} ms; load average ${load}`,
  );
}

async function partA(pool: Pool, apiProc: ChildProcess): Promise<void> {
  console.log('\n(a) run creation: filters + sampling_rate 0.1 (API process RSS before/after)');
  for (const n of [100_000, 1_000_000]) {
    const name = `create-${n}`;
    const pid = await projectId(pool, name);
    const { rows } = await pool.query(`SELECT count(*)::int AS c FROM traces WHERE project_id = $1`, [pid]);
    if (REUSE_DB && rows[0].c === n) console.log(`  reusing ${fmt(n)} seeded traces`);
    else {
      await pool.query(`DELETE FROM traces WHERE project_id = $1`, [pid]);
      const seedMs = await seed(pool, pid, n);
      console.log(`  seeded ${fmt(n)} traces in ${fmt(seedMs / 1000, 1)} s`);
    }
    const all: Array<[string, Record<string, unknown>, number]> = [
      // 80 % of the traces: started_at = 2026-01-01 + 2g s, so g <= 0.8 n.
      [
        'date range (80 % match), rate 0.1',
        { date_from: '2026-01-01', date_to: new Date(Date.parse('2026-01-01') + (1.6 * n + 1) * 1000).toISOString() },
        0.1,
      ],
      [
        'status=COMPLETED + date range, rate 0.1',
        { status: 'COMPLETED', date_from: '2026-01-01', date_to: '2027-01-01' },
        0.1,
      ],
      ['tags=[prod], rate 0.1', { tags: ['prod'] }, 0.1],
      ['no filter, rate 0.1', {}, 0.1],
      ['no filter, rate 1', {}, 1],
    ];
    const cases = all.filter(([, , rate]) => !QUICK || rate < 1);
    for (const [label, filters, rate] of cases) {
      const before = rssMb(apiProc.pid!);
      const times: number[] = [];
      const previous: number[] = [];
      let targets = 0;
      for (let i = 0; i < 3; i += 1) {
        // The statement before the single scan, interleaved with ours, so both see the same load.
        if (label.startsWith('date range')) previous.push(await previousCreation(pool, pid, filters, rate, i));
        const res = await api('POST', '/evaluations/trace-runs', name, {
          metrics: ['confidence'],
          filters,
          sampling_rate: rate,
          sampling_seed: i,
        });
        if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
        times.push(res.ms);
        targets = res.body.total_targets;
        await pool.query(`DELETE FROM eval_runs WHERE id = $1`, [res.body.id]);
      }
      const after = rssMb(apiProc.pid!);
      times.sort((x, y) => x - y);
      console.log(
        `  ${fmt(n).padStart(9)} traces | ${label.padEnd(40)} | ${fmt(targets).padStart(9)} targets | ` +
          `median ${fmt(times[1]).padStart(5)} ms (min ${fmt(times[0])}, max ${fmt(times[2])}) | API RSS ${before} → ${after} MB` +
          ` | load ${loadAverage()}`,
      );
      if (previous.length > 0) {
        previous.sort((x, y) => x - y);
        console.log(
          `  ${''.padStart(16)} | ${'  previous statement, same moments'.padEnd(40)} | ${''.padStart(17)} | ` +
            `median ${fmt(previous[1]).padStart(5)} ms (min ${fmt(previous[0])}, max ${fmt(previous[2])}) (SQL, rolled back)`,
        );
      }
    }
  }

  if (QUICK) return;
  console.log('\n(a′) ledger shape at 100,000 targets × 3 metrics (INSERT ... SELECT, median of 3, rolled back)');
  const pid = (await pool.query(`SELECT id FROM projects WHERE name = 'create-100000'`)).rows[0].id;
  const client = await pool.connect();
  try {
    await client.query(`CREATE TEMP TABLE pm_items (LIKE eval_run_items INCLUDING DEFAULTS)`);
    await client.query(`ALTER TABLE pm_items ADD COLUMN metric_name varchar(255) NOT NULL DEFAULT ''`);
    await client.query(`ALTER TABLE pm_items ADD PRIMARY KEY (run_id, trace_id, metric_name)`);
    await client.query(`CREATE INDEX ON pm_items (run_id, state) WHERE state <> 'DONE'`);
    const measure = async (sql: string): Promise<number> => {
      const out: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        await client.query('BEGIN');
        const run = (
          await client.query(`INSERT INTO eval_runs (project_id, metric_names) VALUES ($1, '{a,b,c}') RETURNING id`, [
            pid,
          ])
        ).rows[0].id;
        const t0 = performance.now();
        await client.query(sql, [run, pid]);
        out.push(performance.now() - t0);
        await client.query('ROLLBACK');
      }
      return out.sort((x, y) => x - y)[1];
    };
    const perTrace = await measure(
      `INSERT INTO eval_run_items (run_id, trace_id) SELECT $1, trace_id FROM traces WHERE project_id = $2`,
    );
    const perPair = await measure(
      `INSERT INTO pm_items (run_id, trace_id, metric_name) SELECT $1, t.trace_id, m FROM traces t CROSS JOIN unnest('{a,b,c}'::text[]) m WHERE t.project_id = $2`,
    );
    console.log(`  one item per trace:            100,000 rows in ${fmt(perTrace)} ms`);
    console.log(`  one item per (trace, metric):  300,000 rows in ${fmt(perPair)} ms`);
  } finally {
    client.release();
  }
}

async function waitRun(
  pool: Pool,
  runId: string,
  onTick?: () => void,
): Promise<{ seconds: number; evaluated: number; failed: number }> {
  for (;;) {
    onTick?.();
    const { rows } = await pool.query(
      `SELECT status, evaluated_count, failed_count, EXTRACT(EPOCH FROM (completed_at - started_at)) AS secs FROM eval_runs WHERE id = $1`,
      [runId],
    );
    const r = rows[0];
    if (r.status === 'COMPLETED' || r.status === 'FAILED') {
      if (r.status === 'FAILED') throw new Error(`run ${runId} FAILED`);
      return { seconds: Number(r.secs), evaluated: r.evaluated_count, failed: r.failed_count };
    }
    await sleep(onTick ? 250 : 200);
  }
}

async function evalRun(
  pool: Pool,
  project: string,
  n: number,
  concurrency: number,
  judge: JudgeServer,
  latencyMs: number,
  onTick?: (pid: number) => void,
) {
  // BENCH_COUNT_STATEMENTS=1: the worker counts the statements it sends (bench/support/count-statements.ts).
  const statementLog = process.env.BENCH_COUNT_STATEMENTS === '1' ? `/tmp/bench-statements-${process.pid}.json` : null;
  const worker = startProcess(
    'worker.js',
    baseEnv({
      OPENAI_BASE_URL: judge.baseUrl,
      EVAL_WORKER_CONCURRENCY: String(concurrency),
      ...(statementLog ? { BENCH_STATEMENT_LOG: statementLog } : {}),
    }),
    statementLog ? ['--require', join(DIST, 'bench', 'support', 'count-statements.js')] : [],
  );
  await sleep(2500); // boot
  const bootCpuMs = await bootedCpuMs(worker.pid!);
  judge.reset();
  judge.setLatency(latencyMs);
  try {
    const res = await api('POST', '/evaluations/trace-runs', project, {
      metrics: ['confidence'],
      filters: {},
      sampling_rate: 1,
    });
    if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
    const cpuBefore = cpuSplitMs(worker.pid!);
    const footprint = new PgFootprint(pool);
    await footprint.start();
    if (statementLog) worker.kill('SIGWINCH');
    const result = await waitRun(pool, res.body.id, () => {
      onTick?.(worker.pid!);
      void footprint.sample();
    });
    if (result.evaluated !== n) throw new Error(`evaluated ${result.evaluated} of ${n}`);
    const cpuAfter = cpuSplitMs(worker.pid!);
    if (statementLog) worker.kill('SIGWINCH');
    const pg = await footprint.finish(); // waits for the backends to report their statistics
    return {
      ...result,
      xactsPerItem: pg.transactions / n,
      cpuPerItemMs: (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / n,
      systemCpuPerItemMs: (cpuAfter.system - cpuBefore.system) / n,
      pg,
      statementLog,
      maxConcurrent: judge.maxConcurrent,
      bootCpuMs,
      calls: judge.requests.length,
      runId: res.body.id as string,
    };
  } finally {
    await stopProcess(worker);
  }
}

/**
 * The statements the worker sent during the run (BENCH_COUNT_STATEMENTS=1), per evaluation, with
 * the backend CPU each took (bench/support/count-statements.ts).
 */
function printStatements(log: string, n: number): void {
  type Figures = Record<string, { n: number; cpuNs: number }>;
  const read = (path: string): Figures => JSON.parse(readFileSync(path, 'utf8'));
  const start = read(`${log}.1`);
  const end = read(`${log}.2`);
  const rows = Object.entries(end)
    .map(([sql, f]) => [sql, f.n - (start[sql]?.n ?? 0), f.cpuNs - (start[sql]?.cpuNs ?? 0)] as const)
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[2] - a[2]);
  const total = rows.reduce((sum, [, c]) => sum + c, 0);
  const cpu = rows.reduce((sum, [, , ns]) => sum + ns, 0);
  console.log(
    `    worker statements per evaluation: ${(total / n).toFixed(3)}, backend CPU ${(cpu / n / 1e6).toFixed(3)} ms (per statement, per evaluation):`,
  );
  for (const [sql, c, ns] of rows) {
    console.log(
      `      ${(c / n).toFixed(4)}  ${(ns / c / 1e6).toFixed(3).padStart(7)} ms  ${(ns / n / 1e6).toFixed(4)} ms  ${sql}`,
    );
  }
}

async function partB(pool: Pool, judge: JudgeServer): Promise<void> {
  console.log('\n(b) evaluations per second (metric `confidence`: one judge call per trace), each from a fresh worker');
  console.log(`  worker: node ${nodeArgsFor('worker.js').join(' ')} dist/src/worker.js`);
  const seconds = Number(args['eval-seconds']);
  // BENCH_EVAL_CASES="0:32,200:32" picks (judge latency ms : concurrency) cases.
  const cases: Array<[number, number]> = (process.env.BENCH_EVAL_CASES ?? '0:32,0:64,200:32,200:64')
    .split(',')
    .map((c) => c.split(':').map(Number) as [number, number]);
  for (const [latency, concurrency] of cases) {
    const ideal = latency > 0 ? concurrency / (latency / 1000) : NaN;
    const n = latency > 0 ? Math.round(ideal * seconds) : Number(process.env.BENCH_INSTANT_TRACES ?? 5000);
    // A project of this invocation's own, so BENCH_REUSE_DB=1 runs (alternating A/B) start from n traces.
    const project = `eval-${latency}-${concurrency}-${process.pid}`;
    const pid = await projectId(pool, project);
    await seed(pool, pid, n, true);
    const r = await evalRun(pool, project, n, concurrency, judge, latency);
    const rate = r.evaluated / r.seconds;
    console.log(
      `  judge ${String(latency).padStart(3)} ms | concurrency ${String(concurrency).padStart(2)} | ${fmt(n).padStart(6)} traces in ` +
        `${fmt(r.seconds, 1).padStart(5)} s | ${fmt(rate, 1).padStart(7)} evals/s` +
        (latency > 0 ? ` | ideal ${fmt(ideal)} /s → ${fmt((100 * rate) / ideal, 1)} %` : ' | (pipeline overhead)') +
        ` | worker CPU ${fmt(r.cpuPerItemMs, 2)} ms/evaluation (kernel ${fmt(r.systemCpuPerItemMs, 2)}) | ${fmt(r.xactsPerItem, 2)} PostgreSQL transactions/evaluation | judge in flight max ${r.maxConcurrent} | failed ${r.failed}` +
        ` | worker boot CPU ${fmt(r.bootCpuMs)} ms (not counted) | load ${loadAverage()}`,
    );
    printFootprint(r.pg, n);
    if (r.statementLog) printStatements(r.statementLog, n);
  }
}

/**
 * One worker process for every run, so that memory left behind by a run shows up in the next one:
 * runs of each --memory-sizes size, then BENCH_MEMORY_REPEAT (3) more runs of the first size in a
 * row. RSS by phase: the idle worker before the run, during it (median and max, sampled every
 * 250 ms), and BENCH_MEMORY_SETTLE_SECONDS (10) after it completed, idle.
 */
async function partC(pool: Pool, judge: JudgeServer): Promise<void> {
  console.log('\n(c) worker memory (RSS, MB) by phase, one worker process for all runs, instant judge, concurrency 32');
  const sizes = args['memory-sizes']!.split(',').map(Number);
  const repeat = Number(process.env.BENCH_MEMORY_REPEAT ?? 3);
  const settleMs = Number(process.env.BENCH_MEMORY_SETTLE_SECONDS ?? 10) * 1000;
  const runs = [...sizes, ...Array.from({ length: repeat }, () => sizes[0])];
  for (const n of new Set(runs)) await seed(pool, await projectId(pool, `mem-${n}`), n, true);
  const worker = startProcess('worker.js', baseEnv({ OPENAI_BASE_URL: judge.baseUrl, EVAL_WORKER_CONCURRENCY: '32' }));
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  try {
    await sleep(3000); // boot
    judge.reset();
    judge.setLatency(0);
    console.log(`  worker RSS after boot: ${rssMb(worker.pid!)} MB | load ${loadAverage()}`);
    for (const [i, n] of runs.entries()) {
      const before = rssMb(worker.pid!);
      const res = await api('POST', '/evaluations/trace-runs', `mem-${n}`, {
        metrics: ['confidence'],
        filters: {},
        sampling_rate: 1,
      });
      if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
      const during: number[] = [];
      const cpuBefore = cpuMs(worker.pid!);
      const r = await waitRun(pool, res.body.id, () => during.push(rssMb(worker.pid!)));
      const cpuPerItem = (cpuMs(worker.pid!) - cpuBefore) / n;
      if (r.evaluated !== n) throw new Error(`evaluated ${r.evaluated} of ${n}`);
      await sleep(settleMs);
      console.log(
        `  run ${i + 1}: ${fmt(n).padStart(7)} items in ${fmt(r.seconds, 1).padStart(5)} s (${fmt(n / r.seconds).padStart(5)} /s, ` +
          `CPU ${fmt(cpuPerItem, 2)} ms/item) | ` +
          `before ${before} | during median ${median(during)}, max ${Math.max(...during)} | ` +
          `${settleMs / 1000} s after ${rssMb(worker.pid!)} | load ${loadAverage()}`,
      );
    }
  } finally {
    await stopProcess(worker);
  }
}

async function main(): Promise<void> {
  console.log(
    `eval-runs bench on ${DB_URL} (node ${process.version}, ${(await import('node:os')).cpus().length} CPUs)`,
  );
  await freshDatabase();
  // Named, so PgFootprint leaves the bench's own connections out of the database's CPU.
  const pool = new Pool({ connectionString: DB_URL, max: 4, application_name: 'bench' });
  const judge = await startJudgeServer();
  const apiProc = startProcess(
    'main.js',
    baseEnv({
      PORT: String(PORT),
      OPENAI_BASE_URL: judge.baseUrl,
      RUN_WORKER_IN_PROCESS: 'false',
      INIT_ORG_NAME: 'bench',
      INIT_CREATE: 'true',
      INIT_PROJECT_NAME: 'bench',
      INIT_API_KEY: API_KEY,
    }),
  );
  try {
    await waitHealthy();
    await calibrate(pool);
    if (parts.has('a')) await partA(pool, apiProc);
    if (parts.has('b')) await partB(pool, judge);
    if (parts.has('c')) await partC(pool, judge);
  } finally {
    await stopProcess(apiProc);
    await judge.close();
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
