/**
 * Sessions benchmark: a project of BENCH_TRACES traces (3 spans each) in sessions of 1–9 traces over
 * 30 days, next to a noise project of BENCH_NOISE traces, seeded inside PostgreSQL with INSERT ...
 * SELECT generate_series. Prints the plan of GET /sessions (EXPLAIN ANALYZE of the exact statement
 * the repository runs) with the covering index and, in a rolled-back transaction, with the plain
 * (project_id, session_id) index it replaced; then times every sessions route through one API process.
 *
 *   npm run build:tools
 *   node_modules/.bin/node dist/bench/sessions/run.js                 # 200,000 traces
 *   BENCH_TRACES=20000 node_modules/.bin/node dist/bench/sessions/run.js   # a quick run
 *
 * Knobs (environment): BENCH_TRACES (200000), BENCH_NOISE (traces / 4), BENCH_REPEAT (5 timed calls
 * per route after one warm-up), BENCH_DATABASE (pp_sessions_bench, kept between runs: the seed is reused
 * when its size matches; BENCH_RESEED=1 forces a new one), BENCH_PG_ADMIN_URL, BENCH_PORT (18720),
 * BENCH_REDIS_URL (redis://127.0.0.1:6379/2).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { listSessionsSql, SessionFilter } from '../../src/modules/sessions/sessions.repository';
import { ensureDatabase, waitHealthy } from '../support/api-process';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const TRACES = num('BENCH_TRACES', 200_000);
const NOISE = num('BENCH_NOISE', Math.floor(TRACES / 4));
const REPEAT = num('BENCH_REPEAT', 5);
const PORT = num('BENCH_PORT', 18720);
const DATABASE = process.env.BENCH_DATABASE ?? 'pp_sessions_bench';
const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DATABASE_URL = Object.assign(new URL(PG_ADMIN), { pathname: `/${DATABASE}` }).toString();
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/2';
const ROOT = join(__dirname, '..', '..', '..');
const API_KEY = `sk_pp_${'cd'.repeat(32)}`;
const PROJECT = 'sessions-bench';
const NOISE_PROJECT = 'sessions-bench-noise';
const BASE = `http://127.0.0.1:${PORT}`;
const HEADERS = { 'X-API-Key': API_KEY, 'X-Project-Name': PROJECT };
const DAYS = 30;
const CHUNK = 50_000;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const API_ENV = {
  PATH: process.env.PATH ?? '',
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  PORT: String(PORT),
  DATABASE_URL,
  REDIS_URL,
  QUEUE_PREFIX: 'sessbench',
  JWT_SECRET: 'sessions-bench-secret-sessions-bench',
  INIT_ORG_NAME: 'Sessions bench',
  INIT_CREATE: 'true',
  INIT_PROJECT_NAME: PROJECT,
  INIT_API_KEY: API_KEY,
  RATE_LIMIT_DEFAULT: '100000000',
  OPENAI_API_KEY: 'sk-unused',
};

const startApi = (): ChildProcess =>
  spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], { cwd: ROOT, env: API_ENV, stdio: 'inherit' });

/** `prepare` (migrations and the INIT_* bootstrap: organization, project, key), as a deployment runs it. */
async function prepare(): Promise<void> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'prepare.js')], {
    cwd: ROOT,
    env: API_ENV,
    stdio: 'inherit',
  });
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`prepare exited with ${String(code)}`);
}

/**
 * `count` traces of a project: trace n belongs to session n / 5 unless n % 10 = 9 (a tenth have no
 * session), so sessions hold 4 or 5 traces (a fifth of the trace count); 5 % are errors; users
 * cycle over 2,000, tags over 20 (every third trace untagged). Each trace has an AGENT root and two
 * LLM spans with usage and cost; trace totals use the same formulas.
 */
async function seedProject(db: Client, projectId: string, prefix: string, count: number, end: Date): Promise<void> {
  await db.query('DELETE FROM traces WHERE project_id = $1', [projectId]);
  const t0 = Date.now();
  for (let lo = 0; lo < count; lo += CHUNK) {
    const hi = Math.min(count, lo + CHUNK) - 1;
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO traces (trace_id, project_id, name, status, input, output, metadata, started_at, ended_at,
                           session_id, user_id, tags, span_count, total_tokens, total_cost)
       SELECT md5($5 || '-trace-' || n)::uuid, $1, 'agent-' || (n % 10),
              CASE WHEN n % 20 = 0 THEN 'ERROR' ELSE 'COMPLETED' END,
              jsonb_build_object('q', 'question ' || n), jsonb_build_object('a', 'answer ' || n), '{}'::jsonb,
              st, st + make_interval(secs => (200 + (n * 7919) % 5000) / 1000.0),
              CASE WHEN n % 10 <> 9 THEN $5 || '-session-' || (n / 5) END,
              'user-' || ((n / 5) % 2000),
              CASE WHEN n % 3 = 0 THEN '{}'::text[] ELSE ARRAY['tag-' || (n % 20)] END,
              3, 2 * (60 + n % 100), 2 * (60 + n % 100) * 0.000002
       FROM generate_series(${lo}::bigint, ${hi}::bigint) AS n
       CROSS JOIN LATERAL (SELECT $2::timestamptz - make_interval(days => $4::int)
                                  + make_interval(secs => n::float8 / $3::int * $4::int * 86400) AS st) s`,
      [projectId, end.toISOString(), count, DAYS, prefix],
    );
    await db.query(
      `INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, status, model, token_usage, metadata,
                          started_at, ended_at, cost)
       SELECT t.trace_id, md5($1 || '-span-' || n || '-' || i)::uuid,
              CASE WHEN i > 0 THEN md5($1 || '-span-' || n || '-0')::uuid END,
              CASE WHEN i = 0 THEN 'agent' ELSE 'llm-call' END, CASE WHEN i = 0 THEN 'AGENT' ELSE 'LLM' END, 'OK',
              CASE WHEN i > 0 THEN 'gpt-4o-mini' END,
              CASE WHEN i > 0 THEN jsonb_build_object('prompt_tokens', 50 + n % 100, 'completion_tokens', 10) END,
              '{}'::jsonb, t.started_at, t.ended_at,
              CASE WHEN i > 0 THEN jsonb_build_object('total', (60 + n % 100) * 0.000002) END
       FROM generate_series(${lo}::bigint, ${hi}::bigint) AS n
       JOIN traces t ON t.trace_id = md5($1 || '-trace-' || n)::uuid
       CROSS JOIN generate_series(0, 2) AS i`,
      [prefix],
    );
    await db.query('COMMIT');
    process.stdout.write(`\r  ${prefix}: traces ${hi + 1}/${count} (${Math.round((Date.now() - t0) / 1000)} s)`);
  }
  process.stdout.write('\n');
}

async function projectIds(db: Client): Promise<{ main: string; noise: string }> {
  const main = (await db.query('SELECT id, org_id FROM projects WHERE name = $1', [PROJECT])).rows[0];
  const existing = await db.query('SELECT id FROM projects WHERE name = $1', [NOISE_PROJECT]);
  const noise =
    existing.rows[0]?.id ??
    (await db.query('INSERT INTO projects (org_id, name) VALUES ($1, $2) RETURNING id', [main.org_id, NOISE_PROJECT]))
      .rows[0].id;
  return { main: main.id, noise };
}

async function seedIfNeeded(db: Client, ids: { main: string; noise: string }): Promise<Date> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS bench_seed (project_id uuid PRIMARY KEY, traces int, seeded_end timestamptz)`,
  );
  const row = (await db.query('SELECT * FROM bench_seed WHERE project_id = $1', [ids.main])).rows[0];
  if (row && row.traces === TRACES && process.env.BENCH_RESEED !== '1') {
    console.log(`reusing the seed ending ${new Date(row.seeded_end).toISOString()}`);
    return new Date(row.seeded_end);
  }
  const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  await seedProject(db, ids.main, 'main', TRACES, end);
  await seedProject(db, ids.noise, 'noise', NOISE, end);
  // The index-only scan needs a current visibility map; autovacuum keeps it so on a live system.
  await db.query('VACUUM ANALYZE traces');
  await db.query('ANALYZE spans');
  await db.query(
    `INSERT INTO bench_seed VALUES ($1, $2, $3) ON CONFLICT (project_id) DO UPDATE
     SET traces = EXCLUDED.traces, seeded_end = EXCLUDED.seeded_end`,
    [ids.main, TRACES, end.toISOString()],
  );
  return end;
}

/** The plan's shape (node types and index names) and its execution time. */
async function explain(db: Client, label: string, filter: SessionFilter, by: 'recent' | 'cost'): Promise<void> {
  const q = listSessionsSql(filter, { by, order: 'desc' }, { limit: 50, offset: 0 });
  const times: number[] = [];
  let plan: any;
  for (let i = 0; i < 4; i++) {
    const res = await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${q.sql}`, q.params);
    plan = res.rows[0]['QUERY PLAN'][0];
    if (i > 0) times.push(plan['Execution Time']);
  }
  const nodes: string[] = [];
  const walk = (n: any, depth: number) => {
    if (depth < 6 || /Scan/.test(n['Node Type'])) {
      const extra = [
        n['Index Name'] ? `on ${n['Index Name']}` : '',
        n['Heap Fetches'] !== undefined ? `heap fetches ${n['Heap Fetches']}` : '',
        n['Actual Rows'] !== undefined ? `rows ${n['Actual Rows']}×${n['Actual Loops']}` : '',
      ].filter(Boolean);
      nodes.push(`${'  '.repeat(depth)}${n['Node Type']}${n.Strategy ? ` (${n.Strategy})` : ''} ${extra.join(', ')}`);
    }
    for (const c of n.Plans ?? []) walk(c, depth + 1);
  };
  walk(plan.Plan, 0);
  times.sort((a, b) => a - b);
  console.log(
    `\n  EXPLAIN ${label}: execution ${times[Math.floor(times.length / 2)].toFixed(1)} ms (median of 3), ` +
      `shared hit ${plan.Plan['Shared Hit Blocks']} read ${plan.Plan['Shared Read Blocks']}  (load ${load()})`,
  );
  for (const line of nodes) console.log(`    ${line}`);
}

async function explainBoth(db: Client, projectId: string, end: Date): Promise<void> {
  const filters: Array<[string, SessionFilter, 'recent' | 'cost']> = [
    ['default list (recent)', { projectId }, 'recent'],
    ['sort_by=cost, has_error=true', { projectId, hasError: true }, 'cost'],
    ['user_id=user-7', { projectId, userId: 'user-7' }, 'recent'],
    ['tags=tag-3', { projectId, tags: ['tag-3'] }, 'recent'],
    [
      'started_after=1 day ago',
      { projectId, startedAfter: new Date(end.getTime() - 86_400_000).toISOString() },
      'recent',
    ],
  ];
  console.log('\nwith the covering partial index (migration 1764000007000):');
  for (const [label, f, by] of filters) await explain(db, label, f, by);
  console.log('\nwith the plain (project_id, session_id) index it replaced (rolled back afterwards):');
  await db.query('BEGIN');
  try {
    await db.query('DROP INDEX ix_traces_project_session');
    await db.query('CREATE INDEX ix_traces_project_session ON traces (project_id, session_id)');
    await db.query('ANALYZE traces');
    for (const [label, f, by] of filters) await explain(db, label, f, by);
  } finally {
    await db.query('ROLLBACK');
  }
}

async function time(path: string): Promise<{ ms: number; total: unknown }> {
  const started = performance.now();
  const res = await fetch(`${BASE}${path}`, { headers: HEADERS });
  const body = (await res.json()) as { total?: unknown };
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`${path} → ${res.status} ${JSON.stringify(body)}`);
  return { ms, total: Array.isArray(body) ? body.length : body.total };
}

async function measure(end: Date): Promise<void> {
  const q = (o: Record<string, string>) => new URLSearchParams(o).toString();
  const from = (days: number) => new Date(end.getTime() - days * 86_400_000).toISOString();
  const paths: string[] = [
    '/sessions',
    '/sessions?sort_by=trace_count',
    '/sessions?sort_by=latency&sort_order=asc',
    '/sessions?sort_by=cost',
    '/sessions?has_error=true',
    '/sessions?user_id=user-7',
    '/sessions?tags=tag-3',
    '/sessions?query=session-123',
    `/sessions?${q({ started_after: from(1) })}`,
    '/sessions?offset=20000',
    '/sessions/main-session-1001',
    '/sessions/main-session-50?limit=1',
    `/sessions/analytics?${q({ granularity: 'day', started_after: from(30), started_before: end.toISOString() })}`,
    `/sessions/analytics?${q({ granularity: 'hour', started_after: from(1), started_before: end.toISOString() })}`,
  ];
  console.log(`\nHTTP, ${REPEAT} calls after a warm-up each (p50 / max):`);
  for (const path of paths) {
    await time(path);
    const runs: number[] = [];
    let total: unknown;
    for (let i = 0; i < REPEAT; i++) {
      const r = await time(path);
      runs.push(r.ms);
      total = r.total;
    }
    runs.sort((a, b) => a - b);
    console.log(
      `  ${path.slice(0, 70).padEnd(70)} p50 ${String(Math.round(runs[Math.floor(runs.length / 2)])).padStart(5)} ms` +
        `  max ${String(Math.round(runs[runs.length - 1])).padStart(5)} ms  total/rows ${String(total ?? '-').padStart(6)}  (load ${load()})`,
    );
  }
}

async function main(): Promise<void> {
  console.log(
    `sessions bench: ${TRACES} traces (+ ${NOISE} in another project); ${cpus().length} CPUs, load ${load()}`,
  );
  await ensureDatabase(PG_ADMIN, DATABASE);
  await prepare();
  const api = startApi();
  try {
    await waitHealthy(BASE);
    const db = new Client({ connectionString: DATABASE_URL });
    await db.connect();
    const ids = await projectIds(db);
    const end = await seedIfNeeded(db, ids);
    const [{ sessions }] = (
      await db.query(
        'SELECT count(DISTINCT session_id)::int AS sessions FROM traces WHERE project_id = $1 AND session_id IS NOT NULL',
        [ids.main],
      )
    ).rows;
    console.log(`the project holds ${sessions} sessions`);
    await explainBoth(db, ids.main, end);
    await db.end();
    await measure(end);
  } finally {
    api.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
