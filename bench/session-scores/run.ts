/**
 * Session score benchmark: BENCH_SESSIONS sessions, each evaluated BENCH_EVALS times on two metrics
 * over 30 days (sessions × evals × 2 session scores, 2 % of them FAILED), seeded inside PostgreSQL
 * with INSERT ... SELECT generate_series; then every session score route timed through one API
 * process. Prints latencies, rows, the API's RSS and the load average next to every figure.
 *
 *   npm run build:tools
 *   node dist/bench/session-scores/run.js                          # 100,000 sessions, 600,000 scores
 *   BENCH_SESSIONS=10000 node dist/bench/session-scores/run.js     # a quick run
 *
 * Knobs (environment): BENCH_SESSIONS (100000), BENCH_EVALS (3), BENCH_REPEAT (5 timed calls per
 * route after one warm-up), BENCH_DATABASE (pp_session_scores_bench, kept between runs: the seed is
 * reused when its size matches; BENCH_RESEED=1 forces a new one), BENCH_PG_ADMIN_URL, BENCH_PORT
 * (18720), BENCH_REDIS_URL (redis://127.0.0.1:6379/7).
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { Client } from 'pg';
import { prepareDatabase, rssMb, startApi, stopApi, waitHealthy } from '../support/api-process';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const SESSIONS = num('BENCH_SESSIONS', 100_000);
const EVALS = num('BENCH_EVALS', 3);
const REPEAT = num('BENCH_REPEAT', 5);
const PORT = num('BENCH_PORT', 18720);
const DATABASE = process.env.BENCH_DATABASE ?? 'pp_session_scores_bench';
const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DATABASE_URL = Object.assign(new URL(PG_ADMIN), { pathname: `/${DATABASE}` }).toString();
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/7';
const API_KEY = `sk_pp_${'cd'.repeat(32)}`;
const PROJECT = 'session-scores-bench';
const BASE = `http://127.0.0.1:${PORT}`;
const HEADERS = { 'X-API-Key': API_KEY, 'X-Project-Name': PROJECT };
const DAYS = 30;
const METRICS = ['agent_reliability', 'agent_consistency'];
const SCORES = SESSIONS * EVALS * METRICS.length;
const load = () => loadavg()[0].toFixed(1);

/**
 * Session s is evaluated at end - 30 days + s/SESSIONS of the window, then every hour EVALS times;
 * values spread over [0, 1] in steps of 0.001; every 50th score FAILED without a value.
 */
async function seed(db: Client, projectId: string, end: Date): Promise<void> {
  const started = Date.now();
  await db.query('DELETE FROM session_scores WHERE project_id = $1', [projectId]);
  const chunk = 20_000;
  for (let lo = 0; lo < SESSIONS; lo += chunk) {
    const hi = Math.min(SESSIONS, lo + chunk) - 1;
    await db.query(
      `INSERT INTO session_scores (session_id, project_id, name, data_type, value, source, status, created_at, updated_at)
       SELECT 'session-' || s, $1, ($2::text[])[m], 'NUMERIC',
              CASE WHEN k % 50 = 0 THEN NULL ELSE round(((k * 7919) % 1001) / 1000.0, 3)::text END,
              'AUTOMATED', CASE WHEN k % 50 = 0 THEN 'FAILED' ELSE 'SUCCESS' END, at, at
       FROM generate_series(${lo}::bigint, ${hi}::bigint) AS s
       CROSS JOIN generate_series(0, $4::int - 1) AS e
       CROSS JOIN generate_series(1, 2) AS m
       CROSS JOIN LATERAL (SELECT s * 6 + e * 2 + m AS k,
                                  $3::timestamptz - make_interval(days => ${DAYS})
                                  + make_interval(secs => s::float8 / ${SESSIONS} * ${DAYS} * 86400 + e * 3600) AS at) x`,
      [projectId, METRICS, end.toISOString(), EVALS],
    );
    process.stdout.write(`\r  sessions ${hi + 1}/${SESSIONS} (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  process.stdout.write('\n');
  await db.query('VACUUM ANALYZE session_scores'); // as autovacuum would: index-only scans apply
  await db.query(
    `CREATE TABLE IF NOT EXISTS bench_session_seed (project_id uuid PRIMARY KEY, scores int, seeded_end timestamptz)`,
  );
  await db.query(
    `INSERT INTO bench_session_seed VALUES ($1, $2, $3) ON CONFLICT (project_id) DO UPDATE
     SET scores = EXCLUDED.scores, seeded_end = EXCLUDED.seeded_end`,
    [projectId, SCORES, end.toISOString()],
  );
  console.log(`seeded ${SCORES} session scores in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function seededEnd(db: Client, projectId: string): Promise<Date | null> {
  const table = await db.query(`SELECT to_regclass('bench_session_seed') AS t`);
  if (!table.rows[0].t || process.env.BENCH_RESEED === '1') return null;
  const r = (await db.query('SELECT * FROM bench_session_seed WHERE project_id = $1', [projectId])).rows[0];
  return r && r.scores === SCORES ? new Date(r.seeded_end) : null;
}

async function time(path: string): Promise<{ ms: number; rows: number }> {
  const started = performance.now();
  const res = await fetch(`${BASE}${path}`, { headers: HEADERS });
  const body = (await res.json()) as unknown[] | { items: unknown[] };
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`${path} → ${res.status} ${JSON.stringify(body)}`);
  return { ms, rows: Array.isArray(body) ? body.length : body.items.length };
}

async function measure(end: Date): Promise<void> {
  const q = (o: Record<string, string | number>) =>
    new URLSearchParams(Object.entries(o).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const days = (n: number) => ({
    date_from: new Date(end.getTime() - n * 86_400_000).toISOString(),
    date_to: end.toISOString(),
  });
  const session = `session-${Math.floor(SESSIONS / 2)}`;
  const metric = METRICS[0];
  const routes: [string, string][] = [
    ['list, first page', `/evaluations/session-scores`],
    ['list, one session', `/evaluations/session-scores?${q({ session_id: session })}`],
    ['list, one metric', `/evaluations/session-scores?${q({ name: metric })}`],
    ['list, one metric, 7 days', `/evaluations/session-scores?${q({ name: metric, ...days(7) })}`],
    ['latest per metric', `/evaluations/session-scores/${session}`],
    ['summary, 30 days', `/evaluations/analytics/session-scores/summary?${q(days(30))}`],
    ['trend, day, 30 days', `/evaluations/analytics/session-scores/trend?${q({ metric_name: metric, ...days(30) })}`],
    [
      'trend, hour, 7 days',
      `/evaluations/analytics/session-scores/trend?${q({ metric_name: metric, granularity: 'hour', ...days(7) })}`,
    ],
    ['distribution, all', `/evaluations/analytics/session-scores/distribution?${q({ metric_name: metric })}`],
    ['history of a session', `/evaluations/analytics/session-scores/history/${session}`],
    ['comparison, worst 20', `/evaluations/analytics/session-scores/comparison?${q({ metric_name: metric })}`],
    [
      'comparison, deep page',
      `/evaluations/analytics/session-scores/comparison?${q({ metric_name: metric, sort_order: 'desc', offset: Math.floor(SESSIONS / 2), limit: 100 })}`,
    ],
  ];
  for (const [label, path] of routes) {
    await time(path); // warm-up
    const runs: number[] = [];
    let rows = 0;
    for (let i = 0; i < REPEAT; i++) {
      const r = await time(path);
      runs.push(r.ms);
      rows = r.rows;
    }
    runs.sort((a, b) => a - b);
    const p50 = Math.round(runs[Math.floor(runs.length / 2)]);
    const max = Math.round(runs[runs.length - 1]);
    console.log(
      `  ${label.padEnd(26)} ${String(rows).padStart(4)} rows  p50 ${String(p50).padStart(5)} ms  max ${String(max).padStart(5)} ms  (load ${load()})`,
    );
  }
}

async function main(): Promise<void> {
  console.log(
    `session scores bench: ${SESSIONS} sessions × ${EVALS} evaluations × ${METRICS.length} metrics = ${SCORES} scores ` +
      `over ${DAYS} days; ${cpus().length} CPUs, ${Math.round(totalmem() / 1024 ** 3)} GB, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  await prepareDatabase(PG_ADMIN, DATABASE, DATABASE_URL);
  const api = startApi({
    PORT: String(PORT),
    DATABASE_URL,
    REDIS_URL,
    QUEUE_PREFIX: 'ssbench',
    JWT_SECRET: 'session-scores-bench-secret-session-scores',
    INIT_ORG_NAME: 'Session scores bench',
    INIT_PROJECT_NAME: PROJECT,
    INIT_API_KEY: API_KEY,
  });
  try {
    await waitHealthy(BASE);
    const db = new Client({ connectionString: DATABASE_URL });
    await db.connect();
    const projectId = (await db.query('SELECT id FROM projects WHERE name = $1', [PROJECT])).rows[0].id as string;
    let end = await seededEnd(db, projectId);
    if (!end) {
      end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
      await seed(db, projectId, end);
    } else console.log(`reusing the seed ending ${end.toISOString()}`);
    await db.end();
    const rssBefore = rssMb(api.pid);
    await measure(end);
    console.log(`API RSS: ${rssBefore} MB before the requests, ${rssMb(api.pid)} MB after`);
  } finally {
    await stopApi(api);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
