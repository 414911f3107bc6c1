/**
 * Analytics benchmark: a project of BENCH_TRACES traces (10 spans each) spread over 30 days and
 * BENCH_SCORES scores, seeded inside PostgreSQL with INSERT ... SELECT generate_series (minutes, not
 * hours), then every analytics endpoint timed through one API process over 1, 7 and 30 days at each
 * granularity. Prints a table of latencies and the API's RSS before and after.
 *
 *   npm run build
 *   node dist/bench/analytics/run.js                       # 1,000,000 traces, 2,000,000 scores
 *   BENCH_TRACES=20000 BENCH_SCORES=40000 node dist/bench/analytics/run.js   # a quick run
 *
 * Knobs (environment): BENCH_TRACES (1000000), BENCH_SCORES (2 × traces), BENCH_REPEAT (5 timed calls
 * per cell after one warm-up), BENCH_DATABASE (pp_analytics_bench, kept between runs: the seed is
 * reused when its size matches; BENCH_RESEED=1 forces a new one), BENCH_PG_ADMIN_URL, BENCH_PORT
 * (18710), BENCH_REDIS_URL (redis://127.0.0.1:6379/6), BENCH_JSON (write the figures to a file).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { Client } from 'pg';
import {
  prepareDatabase,
  rssMb,
  sleep,
  startApi as startApiProcess,
  stopApi,
  waitHealthy,
} from '../support/api-process';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const TRACES = num('BENCH_TRACES', 1_000_000);
const SCORES = num('BENCH_SCORES', TRACES * 2);
const REPEAT = num('BENCH_REPEAT', 5);
const PORT = num('BENCH_PORT', 18710);
const DATABASE = process.env.BENCH_DATABASE ?? 'pp_analytics_bench';
const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DATABASE_URL = Object.assign(new URL(PG_ADMIN), { pathname: `/${DATABASE}` }).toString();
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/6';
const API_KEY = `sk_pp_${'ab'.repeat(32)}`;
const PROJECT = 'analytics-bench';
const BASE = `http://127.0.0.1:${PORT}`;
const HEADERS = { 'X-API-Key': API_KEY, 'X-Project-Name': PROJECT };
const DAYS = 30;
const CHUNK = 50_000;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'gemini-2.5-pro', 'llama-3.3-70b'];
const METRICS = ['helpfulness', 'correctness', 'coherence', 'toxicity'];
const ROLLUP_TABLES = [
  'trace_rollups',
  'model_rollups',
  'latency_rollups',
  'latency_hour_rollups',
  'latency_day_rollups',
  'latency_hour_percentiles',
  'score_rollups',
  'score_value_rollups',
];

function startApi() {
  return startApiProcess({
    PORT: String(PORT),
    DATABASE_URL,
    REDIS_URL,
    QUEUE_PREFIX: 'anbench',
    // Random: production refuses the published example secrets (src/config/env.ts).
    JWT_SECRET: randomBytes(32).toString('hex'),
    INIT_ORG_NAME: 'Analytics bench',
    INIT_PROJECT_NAME: PROJECT,
    INIT_API_KEY: API_KEY,
  });
}

/**
 * Trace n starts at end - 30 days + n/TRACES of the 30 days (plus jitter); 5 % are errors; latencies
 * spread over 0.2–5.2 s with a long tail; spans: an AGENT root, 5 LLM spans (a model each, usage and
 * cost) and 4 TOOL spans. Trace totals are computed from the same formulas as the spans.
 */
async function seed(db: Client, projectId: string, end: Date): Promise<void> {
  const t0 = Date.now();
  await db.query('DELETE FROM trace_scores WHERE project_id = $1', [projectId]);
  await db.query('DELETE FROM traces WHERE project_id = $1', [projectId]);
  const prompt = '(50 + (n + i) % 200)';
  const completion = '(10 + (n * i) % 80)';
  const cost = `((${prompt} * 2.5 + ${completion} * 10) / 1000000.0)`;
  for (let lo = 0; lo < TRACES; lo += CHUNK) {
    const hi = Math.min(TRACES, lo + CHUNK) - 1;
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO traces (trace_id, project_id, name, status, input, output, metadata, started_at, ended_at,
                           session_id, user_id, tags, environment, release, span_count, total_tokens, total_cost)
       SELECT md5('bench-trace-' || n)::uuid, $1, 'agent-' || (n % 10), CASE WHEN n % 20 = 0 THEN 'ERROR' ELSE 'COMPLETED' END,
              jsonb_build_object('q', 'question ' || n), jsonb_build_object('a', 'answer ' || n), '{}'::jsonb,
              st, st + make_interval(secs => (200 + (n * 7919) % 5000 + CASE WHEN n % 97 = 0 THEN 20000 ELSE 0 END) / 1000.0),
              'session-' || (n / 5), 'user-' || (n % 1000), '{}', CASE WHEN n % 3 = 0 THEN 'staging' ELSE 'prod' END, 'v1',
              10, a.tokens, a.cost
       FROM generate_series(${lo}::bigint, ${hi}::bigint) AS n
       CROSS JOIN LATERAL (SELECT $2::timestamptz - make_interval(days => $4::int)
                                  + make_interval(secs => n::float8 / $3::int * $4::int * 86400 + (n * 31) % 60) AS st) s
       CROSS JOIN LATERAL (SELECT sum(${prompt} + ${completion})::bigint AS tokens, sum(${cost})::float8 AS cost
                           FROM generate_series(1, 9, 2) AS i) a`,
      [projectId, end.toISOString(), TRACES, DAYS],
    );
    await db.query(
      `INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, status, input, output, model, token_usage,
                          metadata, started_at, ended_at, cost)
       SELECT t.trace_id, md5('bench-span-' || n || '-' || i)::uuid,
              CASE WHEN i > 0 THEN md5('bench-span-' || n || '-0')::uuid END,
              CASE WHEN i = 0 THEN 'agent' WHEN i % 2 = 1 THEN 'llm-call' ELSE 'tool-call' END,
              CASE WHEN i = 0 THEN 'AGENT' WHEN i % 2 = 1 THEN 'LLM' ELSE 'TOOL' END, 'OK',
              NULL, NULL, CASE WHEN i % 2 = 1 THEN ($1::text[])[1 + (n + i) % 5] END,
              CASE WHEN i % 2 = 1 THEN jsonb_build_object('prompt_tokens', ${prompt}, 'completion_tokens', ${completion}) END,
              '{}'::jsonb, t.started_at, t.ended_at,
              CASE WHEN i % 2 = 1 THEN jsonb_build_object('total', ${cost}) END
       FROM generate_series(${lo}::bigint, ${hi}::bigint) AS n
       JOIN traces t ON t.trace_id = md5('bench-trace-' || n)::uuid
       CROSS JOIN generate_series(0, 9) AS i`,
      [MODELS],
    );
    await db.query('COMMIT');
    process.stdout.write(`\r  traces ${hi + 1}/${TRACES} (${Math.round((Date.now() - t0) / 1000)} s)`);
  }
  process.stdout.write('\n');
  for (let lo = 0; lo < SCORES; lo += CHUNK * 4) {
    const hi = Math.min(SCORES, lo + CHUNK * 4) - 1;
    await db.query(
      `INSERT INTO trace_scores (trace_id, project_id, name, data_type, value, source, status, created_at, updated_at)
       SELECT t.trace_id, $1, ($2::text[])[1 + k % 4], 'NUMERIC',
              CASE WHEN k % 50 = 0 THEN NULL ELSE round(((k * 7919) % 1001) / 1000.0, 3)::text END,
              'AUTOMATED', CASE WHEN k % 50 = 0 THEN 'FAILED' ELSE 'SUCCESS' END,
              t.started_at + interval '1 minute', t.started_at + interval '1 minute'
       FROM generate_series(${lo}::bigint, ${hi}::bigint) AS k
       JOIN traces t ON t.trace_id = md5('bench-trace-' || (k % $3::int))::uuid`,
      [projectId, METRICS, TRACES],
    );
    process.stdout.write(`\r  scores ${hi + 1}/${SCORES} (${Math.round((Date.now() - t0) / 1000)} s)`);
  }
  process.stdout.write('\n');
  // As autovacuum would, in time: statistics, and the visibility map that index-only scans need.
  for (const table of ['traces', 'spans', 'trace_scores']) await db.query(`VACUUM (ANALYZE) ${table}`);
  await db.query(
    `CREATE TABLE IF NOT EXISTS bench_seed (project_id uuid PRIMARY KEY, traces int, scores int, seeded_end timestamptz)`,
  );
  await db.query(
    `INSERT INTO bench_seed VALUES ($1, $2, $3, $4) ON CONFLICT (project_id) DO UPDATE
     SET traces = EXCLUDED.traces, scores = EXCLUDED.scores, seeded_end = EXCLUDED.seeded_end`,
    [projectId, TRACES, SCORES, end.toISOString()],
  );
  console.log(
    `seeded ${TRACES} traces, ${TRACES * 10} spans, ${SCORES} scores in ${Math.round((Date.now() - t0) / 1000)} s`,
  );
}

async function seededEnd(db: Client, projectId: string): Promise<Date | null> {
  const table = await db.query(`SELECT to_regclass('bench_seed') AS t`);
  if (!table.rows[0].t || process.env.BENCH_RESEED === '1') return null;
  const row = await db.query('SELECT * FROM bench_seed WHERE project_id = $1', [projectId]);
  const r = row.rows[0];
  return r && r.traces === TRACES && r.scores === SCORES ? new Date(r.seeded_end) : null;
}

/** The API's refresher folds the seed's dirty slots into the rollups; wait for it and say how long it took. */
async function waitForRollups(db: Client): Promise<void> {
  const started = Date.now();
  for (;;) {
    const [{ n }] = (
      await db.query('SELECT (SELECT count(*) FROM rollup_dirty) + (SELECT count(*) FROM score_rollup_dirty) AS n')
    ).rows;
    process.stdout.write(`\r  dirty rollup marks: ${n} (${Math.round((Date.now() - started) / 1000)} s)   `);
    if (Number(n) === 0) break;
    await sleep(1000);
  }
  process.stdout.write('\n');
}

interface Cell {
  endpoint: string;
  days: number;
  granularity: string;
  rows: number;
  p50: number;
  max: number;
}

async function time(path: string): Promise<{ ms: number; rows: number }> {
  const started = performance.now();
  const res = await fetch(`${BASE}${path}`, { headers: HEADERS });
  const body = (await res.json()) as unknown[];
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`${path} → ${res.status} ${JSON.stringify(body)}`);
  return { ms, rows: body.length };
}

async function measure(end: Date): Promise<Cell[]> {
  const cells: Cell[] = [];
  const q = (o: Record<string, string>) => new URLSearchParams(o).toString();
  for (const days of [1, 7, 30]) {
    const from = new Date(end.getTime() - days * 86_400_000).toISOString();
    const to = end.toISOString();
    const paths: Array<[string, string, string]> = [];
    for (const granularity of ['hour', 'day', 'week']) {
      for (const metric of ['volume', 'errors', 'latency', 'cost', 'tokens']) {
        paths.push([
          `traces ${metric}`,
          granularity,
          `/traces/analytics?${q({ metric, granularity, started_after: from, started_before: to })}`,
        ]);
      }
      paths.push([
        'scores trend',
        granularity,
        `/evaluations/analytics/trace-scores/trend?${q({ metric_name: METRICS[0], granularity, date_from: from, date_to: to })}`,
      ]);
    }
    paths.push([
      'traces models',
      '-',
      `/traces/analytics?${q({ metric: 'models', started_after: from, started_before: to })}`,
    ]);
    paths.push([
      'scores distribution',
      '-',
      `/evaluations/analytics/trace-scores/distribution?${q({ metric_name: METRICS[0], date_from: from, date_to: to })}`,
    ]);
    paths.push([
      'scores summary',
      '-',
      `/evaluations/analytics/trace-scores/summary?${q({ date_from: from, date_to: to })}`,
    ]);
    for (const [endpoint, granularity, path] of paths) {
      await time(path); // warm-up
      const runs: number[] = [];
      let rows = 0;
      for (let i = 0; i < REPEAT; i++) {
        const r = await time(path);
        runs.push(r.ms);
        rows = r.rows;
      }
      runs.sort((a, b) => a - b);
      const cell = {
        endpoint,
        days,
        granularity,
        rows,
        p50: Math.round(runs[Math.floor(runs.length / 2)]),
        max: Math.round(runs[runs.length - 1]),
      };
      cells.push(cell);
      console.log(
        `  ${endpoint.padEnd(20)} ${String(days).padStart(2)} d  ${granularity.padEnd(5)} ${String(rows).padStart(4)} rows` +
          `  p50 ${String(cell.p50).padStart(5)} ms  max ${String(cell.max).padStart(5)} ms  (load ${loadavg()[0].toFixed(1)})`,
      );
    }
  }
  return cells;
}

async function main(): Promise<void> {
  console.log(
    `analytics bench: ${TRACES} traces × 10 spans over ${DAYS} days, ${SCORES} scores; ` +
      `${cpus().length} CPUs, ${Math.round(totalmem() / 1024 ** 3)} GB, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  await prepareDatabase(PG_ADMIN, DATABASE, DATABASE_URL);
  let api = startApi();
  try {
    await waitHealthy(BASE);
    const db = new Client({ connectionString: DATABASE_URL });
    await db.connect();
    const project = await db.query('SELECT id FROM projects WHERE name = $1', [PROJECT]);
    const projectId = project.rows[0].id as string;
    let end = await seededEnd(db, projectId);
    if (!end) {
      end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
      await seed(db, projectId, end);
    } else console.log(`reusing the seed ending ${end.toISOString()}`);
    if (process.env.BENCH_SEED_ONLY === '1') {
      await db.end();
      return;
    }
    // A fresh API process for the measurement, so its memory figures start from a clean boot.
    await stopApi(api);
    api = startApi();
    await waitHealthy(BASE);
    await waitForRollups(db);
    // The rollups were just written: vacuum them as autovacuum soon would (index-only scans).
    for (const table of ROLLUP_TABLES) await db.query(`VACUUM (ANALYZE) ${table}`);
    await db.end();
    const rssBefore = rssMb(api.pid);
    const cells = await measure(end);
    const rssAfter = rssMb(api.pid);
    console.log(`API RSS: ${rssBefore} MB after boot, ${rssAfter} MB after ${cells.length * (REPEAT + 1)} requests`);
    if (process.env.BENCH_JSON) {
      writeFileSync(
        process.env.BENCH_JSON,
        JSON.stringify({ traces: TRACES, scores: SCORES, rssBefore, rssAfter, cells }, null, 2),
      );
    }
  } finally {
    api.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
