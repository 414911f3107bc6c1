import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { SpanView, TraceView } from '../../metrics/types/trace-view';

/** What a worker needs of a run. */
export interface ExecutableRun {
  id: string;
  projectId: string;
  metricNames: string[];
  model: string | null;
  status: string;
}

/** A claimed ledger item. */
export interface ClaimedItem {
  traceId: string;
  /** null: the run's metrics. */
  metricNames: string[] | null;
  /** Claims so far, this one included. */
  attempts: number;
}

/** A score about to be written. */
export interface ScoreRow {
  name: string;
  value: string | null;
  status: 'SUCCESS' | 'FAILED';
  reason: string | null;
  metadata: Record<string, unknown>;
}

export interface FinishedItem {
  traceId: string;
  lastError: string | null;
  /** Token sums cover the known counts only; `unknown_usage` counts the metrics whose counts were unreported. */
  usage: { calls: number; input_tokens: number; output_tokens: number; latency_ms: number; unknown_usage?: number };
}

interface TraceRow {
  trace_id: string;
  name: string;
  status: string;
  input: unknown;
  output: unknown;
  metadata: Record<string, unknown> | null;
  session_id: string | null;
  user_id: string | null;
  tags: string[] | null;
  environment: string | null;
  started_at: Date;
  ended_at: Date | null;
}

interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  status: string;
  input: unknown;
  output: unknown;
  model: string | null;
  error: string | null;
  metadata: Record<string, unknown> | null;
  started_at: Date;
  ended_at: Date | null;
  token_usage: Record<string, unknown> | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/**
 * The worker's view of the ledger. Every state change is a conditional update keyed by the lease
 * token, so a re-delivered job, a second worker or a late finisher can never double-count.
 */
@Injectable()
export class EvalRunLedgerRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Runs one statement and returns its rows and affected-row count, whatever the command. */
  private async exec<T = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<{ rows: T[]; affected: number }> {
    const runner = this.ds.createQueryRunner();
    try {
      const result = await runner.query(sql, params, true);
      return { rows: (result.records ?? []) as T[], affected: result.affected ?? 0 };
    } finally {
      await runner.release();
    }
  }

  async loadRun(runId: string): Promise<ExecutableRun | null> {
    const [row] = await this.ds.query(
      `SELECT id, project_id, metric_names, model, status FROM eval_runs WHERE id = $1`,
      [runId],
    );
    return row
      ? { id: row.id, projectId: row.project_id, metricNames: row.metric_names, model: row.model, status: row.status }
      : null;
  }

  /** PENDING → RUNNING (once); started_at marks when work started. */
  async markRunning(runId: string): Promise<void> {
    await this.exec(
      `UPDATE eval_runs SET status = 'RUNNING', started_at = coalesce(started_at, now()), completed_at = NULL
       WHERE id = $1 AND status = 'PENDING'`,
      [runId],
    );
  }

  /** A run-level fault: FAILED with the reason. Only an unfinished run can fail. */
  async failRun(runId: string, message: string): Promise<boolean> {
    const { affected } = await this.exec(
      `UPDATE eval_runs SET status = 'FAILED', error_message = $2, completed_at = now(), started_at = coalesce(started_at, now())
       WHERE id = $1 AND status IN ('PENDING', 'RUNNING')`,
      [runId, message],
    );
    return affected > 0;
  }

  /** COMPLETED when no item is open (also with failed scores). Safe to call any number of times. */
  async completeIfDone(runId: string): Promise<boolean> {
    const { affected } = await this.exec(
      `UPDATE eval_runs SET status = 'COMPLETED', completed_at = now(), started_at = coalesce(started_at, now())
       WHERE id = $1 AND status IN ('PENDING', 'RUNNING')
         AND NOT EXISTS (SELECT 1 FROM eval_run_items i WHERE i.run_id = $1 AND i.state <> 'DONE')`,
      [runId],
    );
    return affected > 0;
  }

  /**
   * Leases up to `limit` open items of a run: PENDING ones, or RUNNING ones whose lease expired (their
   * worker died). `FOR UPDATE SKIP LOCKED` lets several workers claim from one run without waiting.
   */
  async claim(runId: string, token: string, limit: number, leaseMs: number): Promise<ClaimedItem[]> {
    if (limit <= 0) return [];
    const { rows } = await this.exec<{ trace_id: string; metric_names: string[] | null; attempts: number }>(
      `UPDATE eval_run_items i
       SET state = 'RUNNING', attempts = i.attempts + 1, lease_token = $2,
           lease_expires_at = now() + make_interval(secs => $4::float8 / 1000), updated_at = now()
       FROM (
         SELECT run_id, trace_id FROM eval_run_items
         WHERE run_id = $1 AND (state = 'PENDING' OR (state = 'RUNNING' AND lease_expires_at < now()))
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       ) c
       WHERE i.run_id = c.run_id AND i.trace_id = c.trace_id
       RETURNING i.trace_id, i.metric_names, i.attempts`,
      [runId, token, limit, leaseMs],
    );
    return rows.map((r) => ({ traceId: r.trace_id, metricNames: r.metric_names, attempts: r.attempts }));
  }

  /** Extends the leases of every item this process holds (one statement per heartbeat). */
  async heartbeat(token: string, leaseMs: number): Promise<number> {
    const { affected } = await this.exec(
      `UPDATE eval_run_items SET lease_expires_at = now() + make_interval(secs => $2::float8 / 1000)
       WHERE lease_token = $1 AND state = 'RUNNING'`,
      [token, leaseMs],
    );
    return affected;
  }

  /** Gives an item back (an unexpected error, or shutdown): PENDING again, claimable at once. */
  async release(runId: string, traceId: string, token: string, lastError: string | null): Promise<void> {
    await this.exec(
      `UPDATE eval_run_items SET state = 'PENDING', lease_token = NULL, lease_expires_at = NULL, last_error = $4, updated_at = now()
       WHERE run_id = $1 AND trace_id = $2 AND lease_token = $3 AND state = 'RUNNING'`,
      [runId, traceId, token, lastError],
    );
  }

  /** Gives back every item this process still holds; the attempt is not counted against them. */
  async releaseAll(token: string): Promise<number> {
    const { affected } = await this.exec(
      `UPDATE eval_run_items SET state = 'PENDING', lease_token = NULL, lease_expires_at = NULL,
              attempts = greatest(attempts - 1, 0), updated_at = now()
       WHERE lease_token = $1 AND state = 'RUNNING'`,
      [token],
    );
    return affected;
  }

  /**
   * Loads the claimed traces of the run's project with their spans (two queries for the whole
   * batch), and the metric names each already has a score for in this run (a re-delivered item).
   */
  async loadBatch(
    run: ExecutableRun,
    traceIds: string[],
  ): Promise<{ traces: Map<string, TraceView>; scored: Map<string, Set<string>> }> {
    const traceRows: TraceRow[] = await this.ds.query(
      `SELECT trace_id, name, status, input, output, metadata, session_id, user_id, tags, environment, started_at, ended_at
       FROM traces WHERE project_id = $1 AND trace_id = ANY($2::uuid[])`,
      [run.projectId, traceIds],
    );
    const traces = new Map<string, TraceView>();
    for (const t of traceRows) {
      traces.set(t.trace_id, {
        trace_id: t.trace_id,
        name: t.name,
        status: t.status,
        input: t.input,
        output: t.output,
        metadata: t.metadata ?? {},
        session_id: t.session_id,
        user_id: t.user_id,
        tags: t.tags ?? [],
        environment: t.environment,
        started_at: iso(t.started_at)!,
        ended_at: iso(t.ended_at),
        spans: [],
      });
    }
    const [spanRows, scoreRows] = await Promise.all([
      traces.size === 0
        ? Promise.resolve([])
        : this.ds.query(
            `SELECT trace_id, span_id, parent_span_id, name, kind, status, input, output, model, error, metadata, started_at, ended_at, token_usage
             FROM spans WHERE trace_id = ANY($1::uuid[]) ORDER BY trace_id, started_at, span_id`,
            [[...traces.keys()]],
          ),
      this.ds.query(`SELECT trace_id, name FROM trace_scores WHERE eval_run_id = $1 AND trace_id = ANY($2::uuid[])`, [
        run.id,
        traceIds,
      ]),
    ]);
    for (const s of spanRows as SpanRow[]) {
      const span: SpanView = {
        span_id: s.span_id,
        parent_span_id: s.parent_span_id,
        name: s.name,
        kind: s.kind,
        status: s.status,
        input: s.input,
        output: s.output,
        model: s.model,
        error: s.error,
        metadata: s.metadata ?? {},
        started_at: iso(s.started_at)!,
        ended_at: iso(s.ended_at),
        token_usage: s.token_usage,
      };
      traces.get(s.trace_id)?.spans.push(span);
    }
    const scored = new Map<string, Set<string>>();
    for (const r of scoreRows as { trace_id: string; name: string }[]) {
      if (!scored.has(r.trace_id)) scored.set(r.trace_id, new Set());
      scored.get(r.trace_id)!.add(r.name);
    }
    return { traces, scored };
  }

  /**
   * Writes the scores of several traces in one statement; the unique key (eval_run_id, trace_id,
   * name) makes a second write of the same pair a no-op. Nothing is written for a trace that is no
   * longer in the project, nor for a run that was deleted.
   */
  async insertScores(run: ExecutableRun, scores: Array<ScoreRow & { trace_id: string }>): Promise<void> {
    if (scores.length === 0) return;
    await this.ds.query(
      `INSERT INTO trace_scores (trace_id, project_id, name, data_type, value, source, status, eval_run_id, reason, environment, metadata)
       SELECT t.trace_id, t.project_id, o.name, 'NUMERIC', o.value, 'AUTOMATED', o.status, r.id, o.reason, t.environment, o.metadata
       FROM jsonb_to_recordset($3::jsonb) AS o(trace_id uuid, name text, value text, status text, reason text, metadata jsonb)
       JOIN traces t ON t.trace_id = o.trace_id AND t.project_id = $2::uuid
       JOIN eval_runs r ON r.id = $1::uuid
       ORDER BY o.trace_id, o.name
       ON CONFLICT (eval_run_id, trace_id, name) WHERE eval_run_id IS NOT NULL DO NOTHING`,
      [run.id, run.projectId, JSON.stringify(scores)],
    );
  }

  /**
   * Finishes the items this process still holds a lease on and adds them to the run's counters in
   * the same statement: evaluated_count + finished items, failed/succeeded counted from the scores
   * actually stored for those traces (whoever wrote them), judge usage summed. One update of the run
   * row per batch keeps concurrent finishers from queueing on it. Returns how many items it finished.
   */
  async finish(runId: string, token: string, items: FinishedItem[]): Promise<number> {
    if (items.length === 0) return 0;
    const input = items.map((i) => ({
      trace_id: i.traceId,
      last_error: i.lastError,
      calls: i.usage.calls,
      input_tokens: i.usage.input_tokens,
      output_tokens: i.usage.output_tokens,
      latency_ms: Math.round(i.usage.latency_ms),
      unknown_usage: i.usage.unknown_usage ?? 0,
    }));
    const { rows } = await this.exec<{ finished: number }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($3::jsonb)
           AS x(trace_id uuid, last_error text, calls int, input_tokens bigint, output_tokens bigint, latency_ms bigint, unknown_usage int)
       ), done AS (
         UPDATE eval_run_items i SET state = 'DONE', lease_token = NULL, lease_expires_at = NULL, last_error = input.last_error, updated_at = now()
         FROM input
         WHERE i.run_id = $1 AND i.trace_id = input.trace_id AND i.lease_token = $2 AND i.state = 'RUNNING'
         RETURNING i.trace_id
       ), usage AS (
         SELECT count(*)::int AS n, coalesce(sum(calls), 0) AS calls, coalesce(sum(input_tokens), 0) AS input_tokens,
                coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(latency_ms), 0) AS latency_ms,
                coalesce(sum(unknown_usage), 0) AS unknown_usage
         FROM done JOIN input USING (trace_id)
       ), counts AS (
         SELECT count(*) FILTER (WHERE s.status = 'FAILED')::int AS failed, count(*) FILTER (WHERE s.status = 'SUCCESS')::int AS ok
         FROM done JOIN trace_scores s ON s.eval_run_id = $1 AND s.trace_id = done.trace_id
       )
       UPDATE eval_runs r SET
         evaluated_count = r.evaluated_count + usage.n,
         failed_count = r.failed_count + counts.failed,
         succeeded_count = r.succeeded_count + counts.ok,
         judge_calls = r.judge_calls + usage.calls,
         judge_input_tokens = r.judge_input_tokens + usage.input_tokens,
         judge_output_tokens = r.judge_output_tokens + usage.output_tokens,
         judge_latency_ms = r.judge_latency_ms + usage.latency_ms,
         judge_unknown_usage = r.judge_unknown_usage + usage.unknown_usage
       FROM usage, counts
       WHERE r.id = $1 AND usage.n > 0
       RETURNING usage.n AS finished`,
      [runId, token, JSON.stringify(input)],
    );
    return rows[0]?.finished ?? 0;
  }

  /** Runs that are unfinished but have no open item left (e.g. a worker died after the last finish). */
  async completeSettledRuns(): Promise<string[]> {
    const { rows } = await this.exec<{ id: string }>(
      `UPDATE eval_runs r SET status = 'COMPLETED', completed_at = now(), started_at = coalesce(started_at, now())
       WHERE r.status IN ('PENDING', 'RUNNING')
         AND NOT EXISTS (SELECT 1 FROM eval_run_items i WHERE i.run_id = r.id AND i.state <> 'DONE')
       RETURNING r.id`,
    );
    return rows.map((r) => r.id);
  }

  /** Unfinished runs with claimable work: PENDING items, or RUNNING items whose lease expired. Oldest first. */
  async runsNeedingWork(limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(
      `SELECT r.id FROM eval_runs r
       WHERE r.status IN ('PENDING', 'RUNNING')
         AND EXISTS (
           SELECT 1 FROM eval_run_items i
           WHERE i.run_id = r.id AND (i.state = 'PENDING' OR (i.state = 'RUNNING' AND i.lease_expires_at < now()))
         )
       ORDER BY r.created_at
       LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }
}
