/**
 * Session-run benchmark (prints numbers; not a test). It measures the two database steps a session
 * run adds to the pipeline, on a database of its own:
 *
 *   npm run build:tools
 *   node dist/bench/session-runs/run.js [--traces 100000,1000000] [--per-session 10] [--database-url ...]
 *
 * (a) creation: the one statement that groups a project's traces into sessions, applies the
 *     per-session conditions (has_error, min_trace_count), samples and writes the run and its items,
 *     at sampling_rate 1 and 0.1, for each trace count;
 * (b) loading a claimed batch of 32 sessions for the worker: their traces and spans, the signals
 *     they already have (half of the traces carry an earlier confidence score), in four queries.
 *
 * The database named by --database-url (default pp_session_runs_bench) is DROPPED and recreated.
 * Write the machine's load average (printed) next to every figure you quote.
 */
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/env';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { SESSION_SIGNALS } from '../../src/modules/metrics/session/session-metrics';
import { SessionRunsRepository } from '../../src/modules/eval-runs/session-runs.repository';
import { EvalRunLedgerRepository } from '../../src/modules/eval-runs/worker/eval-run-ledger.repository';
import { RunScoreStore } from '../../src/modules/scores/run-scores.store';
import { TracesForJudging } from '../../src/modules/traces/traces-for-judging';

const { values: args } = parseArgs({
  options: {
    traces: { type: 'string', default: '100000,1000000' },
    'per-session': { type: 'string', default: '10' },
    'database-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432/pp_session_runs_bench' },
  },
});
const DB_URL = args['database-url']!;
const PER_SESSION = Number(args['per-session']);
const load = () =>
  execSync('uptime')
    .toString()
    .trim()
    .replace(/^.*load average/, 'load average');
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function freshDatabase(): Promise<DataSource> {
  const url = new URL(DB_URL);
  const admin = new Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${url.pathname.slice(1)}"`);
  await admin.end();
  const entities = [join(__dirname, '..', '..', 'src', '**', '*.entity.js')];
  const ds = new DataSource(buildDataSourceOptions(loadConfig({ DATABASE_URL: DB_URL }), entities));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return ds;
}

/** A project with `n` traces (one span each) in sessions of PER_SESSION traces; every 10th trace is an ERROR. */
async function seedProject(ds: DataSource, n: number): Promise<string> {
  const [{ id: org }] = await ds.query(`INSERT INTO organizations (name) VALUES ($1) RETURNING id`, [`bench-${n}`]);
  const [{ id: project }] = await ds.query(`INSERT INTO projects (org_id, name) VALUES ($1, $2) RETURNING id`, [
    org,
    `bench-${n}`,
  ]);
  await ds.query(
    `INSERT INTO traces (trace_id, project_id, name, status, input, output, session_id, user_id, tags, started_at, ended_at, span_count)
     SELECT gen_random_uuid(), $1, 'turn-' || g, CASE WHEN g % 10 = 0 THEN 'ERROR' ELSE 'COMPLETED' END,
            to_jsonb('question ' || g), to_jsonb('answer ' || g), 'sess-' || (g / $3), 'user-' || (g % 97),
            ARRAY['bench'], '2026-01-01'::timestamptz + make_interval(secs => g), '2026-01-01'::timestamptz + make_interval(secs => g + 1), 1
     FROM generate_series(0, $2::int - 1) AS g`,
    [project, n, PER_SESSION],
  );
  await ds.query(
    `INSERT INTO spans (trace_id, span_id, name, kind, status, input, output, started_at, ended_at)
     SELECT trace_id, gen_random_uuid(), 'llm', 'LLM', 'OK', input, output, started_at, ended_at FROM traces WHERE project_id = $1`,
    [project],
  );
  await ds.query(`ANALYZE traces; ANALYZE spans`);
  return project;
}

async function main(): Promise<void> {
  const ds = await freshDatabase();
  const runs = new SessionRunsRepository(ds);
  const ledger = new EvalRunLedgerRepository(
    ds,
    new TracesForJudging(ds, loadConfig({ DATABASE_URL: DB_URL })),
    new RunScoreStore(ds),
  );
  for (const n of args.traces!.split(',').map(Number)) {
    const seeding = performance.now();
    const project = await seedProject(ds, n);
    console.log(
      `\n${fmt(n)} traces in ${fmt(Math.ceil(n / PER_SESSION))} sessions (seeded in ${fmt(performance.now() - seeding)} ms)`,
    );
    for (const [label, rate, extra] of [
      ['all sessions, rate 1', 1, {}],
      ['all sessions, rate 0.1', 0.1, {}],
      ['has_error, min_trace_count 5, rate 0.1', 0.1, { hasError: true, minTraceCount: 5 }],
    ] as const) {
      const started = performance.now();
      const run = await runs.createFilteredRun({
        projectId: project,
        name: label,
        metricNames: ['agent_reliability'],
        model: 'openai/bench',
        sliceSize: 500,
        maxJudgeCalls: null,
        maxJudgeTokens: null,
        filter: { projectId: project },
        hasError: null,
        minTraceCount: 1,
        ...extra,
        storedFilters: {},
        samplingRate: rate,
        samplingSeed: 42,
      });
      console.log(
        `  (a) create, ${label}: ${fmt(performance.now() - started)} ms, ${fmt(run!.totalTargets)} sessions  [${load()}]`,
      );
    }
    // (b) a worker's batch: 32 sessions; half of their traces already carry a confidence score.
    const sessionIds = Array.from({ length: 32 }, (_, i) => `sess-${i * 7}`);
    await ds.query(
      `INSERT INTO trace_scores (trace_id, project_id, name, value, source, status, metadata)
       SELECT trace_id, project_id, 'confidence', '0.8', 'AUTOMATED', 'SUCCESS', '{"judge_usage":{"model":"openai/judge-bench"}}'
       FROM traces WHERE project_id = $1 AND session_id = ANY($2) AND (hashtext(trace_id::text) % 2) = 0`,
      [project, sessionIds],
    );
    const runRow = { id: randomUUID(), projectId: project } as Parameters<typeof ledger.loadSessionBatch>[0];
    const started = performance.now();
    const batch = await ledger.loadSessionBatch(
      runRow,
      sessionIds,
      SESSION_SIGNALS.map((name) => ({ name, model: 'openai/judge-bench' })),
    );
    const traces = [...batch.sessions.values()].reduce((a, s) => a + s.length, 0);
    console.log(
      `  (b) load a batch of 32 sessions (${traces} traces, ${batch.signals.size} with a reusable signal): ${fmt(performance.now() - started)} ms  [${load()}]`,
    );
  }
  await ds.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
