import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { scopedPrefix, TEST_ENV } from '../support/test-env';
import type { TestApp } from '../support/test-app';
import type { Tenant } from '../support/tenancy';

export type RunBody = Record<string, any>;

/**
 * Environment for an app or worker that runs eval runs against a scripted judge: short sweeps and
 * leases, fast judge retries, a generous run-creation limit and a queue prefix of its own.
 */
export function evalRunTestEnv(
  judgeBaseUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    OPENAI_BASE_URL: judgeBaseUrl,
    OPENAI_API_KEY: 'sk-test',
    EVAL_LLM_MODEL: 'openai/judge-test',
    EVAL_EMBEDDING_MODEL: 'openai/embed-test',
    EVAL_SWEEP_INTERVAL_MS: '500',
    EVAL_ITEM_LEASE_MS: '5000',
    JUDGE_RETRY_BASE_MS: '5',
    JUDGE_RETRY_MAX_MS: '2000',
    RATE_LIMIT_EVAL_RUNS: '10000',
    // waitForRun polls GET /evaluations/trace-runs/{id} ten times a second: more than the default 200/min.
    RATE_LIMIT_DEFAULT: '100000',
    QUEUE_PREFIX: scopedPrefix(prefix),
    ...extra,
  };
}

/** An app whose judge is the scripted judge server (canned answers), with no OpenAI key and raised limits. */
export function scriptedJudgeTestEnv(judgeBaseUrl: string, prefix: string): Record<string, string> {
  return {
    ...evalRunTestEnv('', prefix),
    OPENAI_API_KEY: '',
    SCRIPTED_JUDGE_URL: judgeBaseUrl,
    EVAL_LLM_MODEL: 'scripted/canned-judge',
    EVAL_EMBEDDING_MODEL: 'scripted/canned-embedding',
    RATE_LIMIT_DEFAULT: '100000',
    RATE_LIMIT_INGEST: '100000',
  };
}

/**
 * Marks FAILED every run an earlier spec left unfinished (after one of its tests failed). A worker
 * sweeps every project of its database at start, so such runs would otherwise be judged by the next
 * spec's app against that spec's scripted servers and add foreign calls to its request log. Call it
 * before creating the app, in specs that count judge calls exactly.
 */
export async function abandonStaleRuns(): Promise<void> {
  const client = new Client({ connectionString: TEST_ENV.DATABASE_URL });
  await client.connect();
  try {
    await client.query(
      `UPDATE eval_runs SET status = 'FAILED', completed_at = now(),
              error_message = 'abandoned: left unfinished by an earlier test'
       WHERE status IN ('PENDING', 'RUNNING')`,
    );
  } finally {
    await client.end();
  }
}

/** Polls GET /evaluations/trace-runs/{id} (or `base`/{id}, e.g. session runs) until the run reaches one of `statuses` (default COMPLETED or FAILED). */
export async function waitForRun(
  t: Pick<TestApp, 'http'>,
  tenant: Pick<Tenant, 'headers'>,
  runId: string,
  opts: { statuses?: string[]; timeoutMs?: number; until?: (run: RunBody) => boolean; base?: string } = {},
): Promise<RunBody> {
  const statuses = opts.statuses ?? ['COMPLETED', 'FAILED'];
  const base = opts.base ?? '/evaluations/trace-runs';
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: RunBody | undefined;
  while (Date.now() < deadline) {
    const res = await t.http.get(`${base}/${runId}`).set(tenant.headers);
    if (res.status !== 200) throw new Error(`GET run ${runId}: ${res.status} ${JSON.stringify(res.body)}`);
    last = res.body as RunBody;
    if (opts.until ? opts.until(last) : statuses.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `run ${runId} did not reach ${opts.until ? 'the condition' : statuses.join('/')}; last: ${JSON.stringify(last)}`,
  );
}

/** The trace ids a run selected, read from its ledger and its slices not written there yet (sorted). */
export async function runTraceIds(ds: DataSource, runId: string): Promise<string[]> {
  const rows: { trace_id: string }[] = await ds.query(
    `SELECT trace_id FROM eval_run_items WHERE run_id = $1
     UNION ALL
     SELECT x.trace_id FROM eval_run_pending_items p CROSS JOIN unnest(p.trace_ids) AS x(trace_id) WHERE p.run_id = $1
     ORDER BY trace_id`,
    [runId],
  );
  return rows.map((r) => r.trace_id);
}

/**
 * Inserts `count` traces (one LLM span each) for a project with one SQL statement, for tests and
 * benchmarks that need many traces fast. Names are `${prefix}-<n>`; every 10th is ERROR.
 */
export async function seedTracesSql(
  ds: DataSource,
  projectId: string,
  count: number,
  opts: { prefix?: string; tags?: string[]; startedAt?: string; withSpans?: boolean } = {},
): Promise<void> {
  const prefix = opts.prefix ?? `seed-${randomUUID().slice(0, 8)}`;
  await ds.query(
    `INSERT INTO traces (trace_id, project_id, name, status, input, output, started_at, ended_at, tags, environment, span_count)
     SELECT gen_random_uuid(), $1, $2 || '-' || g, CASE WHEN g % 10 = 0 THEN 'ERROR' ELSE 'COMPLETED' END,
            jsonb_build_object('question', 'q' || g), jsonb_build_object('answer', 'a' || g),
            $3::timestamptz + make_interval(secs => g), $3::timestamptz + make_interval(secs => g + 1),
            $4::text[], 'bench', CASE WHEN $5 THEN 1 ELSE 0 END
     FROM generate_series(1, $6::int) AS g`,
    [projectId, prefix, opts.startedAt ?? '2026-01-01T00:00:00Z', opts.tags ?? [], opts.withSpans ?? false, count],
  );
  if (opts.withSpans) {
    await ds.query(
      `INSERT INTO spans (trace_id, span_id, name, kind, status, input, output, model, started_at, ended_at)
       SELECT t.trace_id, gen_random_uuid(), 'llm', 'LLM', 'OK', t.input, t.output, 'gpt-4o-mini', t.started_at, t.ended_at
       FROM traces t WHERE t.project_id = $1 AND t.name LIKE $2 || '-%'`,
      [projectId, prefix],
    );
  }
}

/** Stored scores of a run, by status, next to what the run's counters say, and its open/unexplained items. */
export async function runLedgerSummary(ds: DataSource, runId: string) {
  const [row] = await ds.query(
    `SELECT r.status, r.evaluated_count, r.failed_count, r.succeeded_count, r.judge_calls,
            (SELECT count(*)::int FROM trace_scores s WHERE s.eval_run_id = r.id) AS scores,
            (SELECT count(DISTINCT (s.trace_id, s.name))::int FROM trace_scores s WHERE s.eval_run_id = r.id) AS pairs,
            (SELECT count(*)::int FROM trace_scores s WHERE s.eval_run_id = r.id AND s.status = 'SUCCESS') AS stored_ok,
            (SELECT count(*)::int FROM trace_scores s WHERE s.eval_run_id = r.id AND s.status = 'FAILED') AS stored_failed,
            (SELECT count(*)::int FROM eval_run_items i WHERE i.run_id = r.id AND i.state = 'DONE') AS done,
            (SELECT count(*)::int FROM eval_run_items i WHERE i.run_id = r.id AND i.state <> 'DONE') AS open,
            (SELECT count(*)::int FROM eval_run_items i WHERE i.run_id = r.id AND i.state = 'RUNNING') AS leased,
            (SELECT count(*)::int FROM eval_run_items i
              WHERE i.run_id = r.id AND i.state = 'DONE' AND i.last_error IS NULL
                AND NOT EXISTS (SELECT 1 FROM trace_scores s WHERE s.eval_run_id = r.id AND s.trace_id = i.trace_id)) AS unexplained
     FROM eval_runs r WHERE r.id = $1`,
    [runId],
  );
  return row as {
    status: string;
    evaluated_count: number;
    failed_count: number;
    succeeded_count: number;
    judge_calls: number;
    scores: number;
    pairs: number;
    stored_ok: number;
    stored_failed: number;
    done: number;
    open: number;
    leased: number;
    unexplained: number;
  };
}

/** The run's counters equal what is stored: scores by status, finished items; no finished item without a score or a reason. */
export async function expectCountersEqualStored(ds: DataSource, runId: string): Promise<void> {
  const s = await runLedgerSummary(ds, runId);
  expect({
    failed: s.failed_count,
    succeeded: s.succeeded_count,
    evaluated: s.evaluated_count,
    unexplained: 0,
  }).toEqual({
    failed: s.stored_failed,
    succeeded: s.stored_ok,
    evaluated: s.done,
    unexplained: s.unexplained,
  });
  expect(s.scores).toBe(s.pairs);
}

/** Waits (polling the database, no fixed sleep) until `check` holds. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Inserts `n` traces with spans for a project and returns their ids, ordered by name. */
export async function seedTraceIds(ds: DataSource, projectId: string, n: number, prefix: string): Promise<string[]> {
  await seedTracesSql(ds, projectId, n, { prefix, withSpans: true });
  const rows: { trace_id: string }[] = await ds.query(
    `SELECT trace_id FROM traces WHERE project_id = $1 AND name LIKE $2 ORDER BY name`,
    [projectId, `${prefix}-%`],
  );
  return rows.map((r) => r.trace_id);
}
