import { Injectable, Optional } from '@nestjs/common';
import { ReservedConnection } from '../../../database/reserved-connection';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TraceScoreEntity, ScoreDataType, ScoreSource, ScoreStatus } from '../../scores/entities/trace-score.entity';
import type { TraceView } from '../../metrics/types/trace-view';
import { SessionScoreEntity } from '../../scores/entities/session-score.entity';
import { RunBudget } from './run-budget';
import type { JudgeAttempt } from '../../judge/judge.types';
import { JudgeTranscriptStore, type TranscriptToWrite } from '../../scores/transcripts/judge-transcript.store';

/** What a worker needs of a run. */
export interface ExecutableRun {
  id: string;
  projectId: string;
  /** TRACE or SESSION. */
  targetType: string;
  /** A session run's signal weight overrides (`filters.signal_weights`). */
  signalWeights: Record<string, number> | null;
  metricNames: string[];
  model: string | null;
  status: string;
  maxJudgeCalls: number | null;
  maxJudgeTokens: number | null;
}

/** A claimed ledger item. */
export interface ClaimedItem {
  /** The item key: the trace, or for a session item `session_item_key(sessionId)`. */
  traceId: string;
  /** A session run's target; null for a trace item. */
  sessionId: string | null;
  /** null: the run's metrics. */
  metricNames: string[] | null;
  /** Claims so far, this one included. */
  attempts: number;
}

/** A run's status and the open items of one of its slices. */
export interface SliceState {
  status: string;
  open: number;
}

/** A score about to be written. */
export interface ScoreRow {
  name: string;
  value: string | null;
  status: 'SUCCESS' | 'FAILED';
  reason: string | null;
  metadata: Record<string, unknown>;
  /** The judge's attempts behind the score (kept when the project keeps transcripts). */
  transcript?: JudgeAttempt[];
}

export interface FinishedItem {
  traceId: string;
  /** done: finished and counted; release: its unfinished metrics go back (PENDING again). */
  kind: 'done' | 'release';
  lastError: string | null;
  /** Token sums cover the known counts only; `unknown_usage` counts the metrics whose counts were unreported. */
  usage: { calls: number; input_tokens: number; output_tokens: number; latency_ms: number; unknown_usage?: number };
  /** For the operator counters: metrics skipped (the trace is gone) or given back unfinished. */
  skipped?: string[];
  unfinished?: string[];
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
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    /** The heartbeat's own connection: leases are renewed however busy the shared pool is. */
    @Optional() private readonly reserved?: ReservedConnection,
    /** The scores module's port for judge transcripts, written with the scores they explain. */
    @Optional() private readonly transcripts?: JudgeTranscriptStore,
  ) {}

  /** Runs one statement and returns its rows and affected-row count, whatever the command. */
  private exec<T = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<{ rows: T[]; affected: number }> {
    return this.execOn<T>(this.ds.createQueryRunner(), sql, params, true);
  }

  /** One statement on `runner`, released after it when `release` (a runner of its own). */
  private async execOn<T>(
    runner: QueryRunner,
    sql: string,
    params: unknown[],
    release = false,
  ): Promise<{ rows: T[]; affected: number }> {
    try {
      const result = await runner.query(sql, params, true);
      return { rows: (result.records ?? []) as T[], affected: result.affected ?? 0 };
    } finally {
      if (release) await runner.release();
    }
  }

  async loadRun(runId: string): Promise<ExecutableRun | null> {
    const [row] = await this.ds.query(
      `SELECT id, project_id, target_type, filters, metric_names, model, status, max_judge_calls, max_judge_tokens FROM eval_runs WHERE id = $1`,
      [runId],
    );
    return row
      ? {
          id: row.id,
          projectId: row.project_id,
          targetType: row.target_type,
          signalWeights: row.filters?.signal_weights ?? null,
          metricNames: row.metric_names,
          model: row.model,
          status: row.status,
          maxJudgeCalls: row.max_judge_calls,
          maxJudgeTokens: row.max_judge_tokens === null ? null : Number(row.max_judge_tokens),
        }
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
   * Leases up to `limit` open items of one slice of a run: PENDING ones, or RUNNING ones whose lease
   * expired (their worker died); nothing once the run is terminal. Raw SQL because TypeORM cannot
   * say `UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED)`, which lets several workers claim
   * from one slice without waiting for each other.
   */
  async claim(runId: string, slice: number, token: string, limit: number, leaseMs: number): Promise<ClaimedItem[]> {
    if (limit <= 0) return [];
    const { rows } = await this.exec<{
      trace_id: string;
      session_id: string | null;
      metric_names: string[] | null;
      attempts: number;
    }>(
      `UPDATE eval_run_items i
       SET state = 'RUNNING', attempts = i.attempts + 1, lease_token = $2,
           lease_expires_at = now() + make_interval(secs => $4::float8 / 1000), updated_at = now()
       FROM (
         SELECT run_id, trace_id FROM eval_run_items
         WHERE run_id = $1 AND slice = $5 AND (state = 'PENDING' OR (state = 'RUNNING' AND lease_expires_at < now()))
           AND EXISTS (SELECT 1 FROM eval_runs r WHERE r.id = $1 AND r.status IN ('PENDING', 'RUNNING'))
           -- A retry waits for the items the run it retries still holds (e.g. in flight at a cancel).
           AND NOT EXISTS (
             SELECT 1 FROM eval_runs r JOIN eval_run_items o ON o.run_id = r.retry_of
             WHERE r.id = $1 AND o.trace_id = eval_run_items.trace_id AND o.state = 'RUNNING' AND o.lease_expires_at >= now())
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       ) c
       WHERE i.run_id = c.run_id AND i.trace_id = c.trace_id
       RETURNING i.trace_id, i.session_id, i.metric_names, i.attempts`,
      [runId, token, limit, leaseMs, slice],
    );
    return rows.map((r) => ({
      traceId: r.trace_id,
      sessionId: r.session_id,
      metricNames: r.metric_names,
      attempts: r.attempts,
    }));
  }

  /** The run's status and how many items of the slice are not DONE (null when the run is gone). */
  async sliceState(runId: string, slice: number): Promise<SliceState | null> {
    const [row] = await this.ds.query(
      `SELECT r.status,
              (SELECT count(*)::int FROM eval_run_items i WHERE i.run_id = r.id AND i.slice = $2 AND i.state <> 'DONE') AS open
       FROM eval_runs r WHERE r.id = $1`,
      [runId, slice],
    );
    return row ? { status: row.status, open: row.open } : null;
  }

  /**
   * Extends the leases of exactly the items given (what this process's slots, prefetch and write
   * batches hold), nothing else: an item the process lost track of expires and is taken over.
   */
  async heartbeat(token: string, leaseMs: number, held: Array<{ runId: string; traceId: string }>): Promise<number> {
    if (held.length === 0) return 0;
    const exec = this.reserved ? this.reserved.exec.bind(this.reserved) : this.exec.bind(this);
    const { affected } = await exec(
      `UPDATE eval_run_items i SET lease_expires_at = now() + make_interval(secs => $2::float8 / 1000)
       FROM unnest($3::uuid[], $4::uuid[]) AS h(run_id, trace_id)
       WHERE i.run_id = h.run_id AND i.trace_id = h.trace_id AND i.lease_token = $1 AND i.state = 'RUNNING'`,
      [token, leaseMs, held.map((h) => h.runId), held.map((h) => h.traceId)],
    );
    return affected;
  }

  /** The status of each given run that still exists. */
  async runStatuses(runIds: string[]): Promise<Map<string, string>> {
    if (runIds.length === 0) return new Map();
    const rows: { id: string; status: string }[] = await this.ds.query(
      `SELECT id, status FROM eval_runs WHERE id = ANY($1::uuid[])`,
      [runIds],
    );
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  /** Gives items back (an unexpected error): PENDING again, claimable at once. */
  async release(runId: string, traceIds: string[], token: string, lastError: string | null): Promise<void> {
    if (traceIds.length === 0) return;
    await this.exec(RELEASE_SQL, [runId, traceIds, token, lastError]);
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
    const [traceList, scoreRows] = await Promise.all([
      this.loadTraces(`project_id = $1 AND trace_id = ANY($2::uuid[])`, [run.projectId, traceIds]),
      this.ds.query(`SELECT trace_id, name FROM trace_scores WHERE eval_run_id = $1 AND trace_id = ANY($2::uuid[])`, [
        run.id,
        traceIds,
      ]),
    ]);
    const traces = new Map(traceList.map((t) => [t.trace_id, t]));
    const scored = new Map<string, Set<string>>();
    for (const r of scoreRows as { trace_id: string; name: string }[]) {
      if (!scored.has(r.trace_id)) scored.set(r.trace_id, new Set());
      scored.get(r.trace_id)!.add(r.name);
    }
    return { traces, scored };
  }

  /**
   * Loads a batch of session items: every trace of each session in the run's project (oldest first,
   * with spans), the signals each trace already has (this run's own, SUCCESS or FAILED, first; else
   * the newest SUCCESS automated numeric score of that name in the project judged by the model the
   * run would judge that signal with, reused), and the session
   * metrics already scored in this run (a re-delivered item). Four queries for the whole batch.
   */
  async loadSessionBatch(
    run: ExecutableRun,
    sessionIds: string[],
    signals: ReadonlyArray<{ name: string; model: string }>,
  ): Promise<SessionBatch> {
    const [traceList, scoredRows] = await Promise.all([
      this.loadTraces(`project_id = $1 AND session_id = ANY($2::varchar[])`, [run.projectId, sessionIds]),
      this.ds.query(`SELECT session_id, name FROM session_scores WHERE eval_run_id = $1 AND session_id = ANY($2)`, [
        run.id,
        sessionIds,
      ]),
    ]);
    const sessions = new Map<string, TraceView[]>();
    for (const t of traceList) {
      if (!sessions.has(t.session_id!)) sessions.set(t.session_id!, []);
      sessions.get(t.session_id!)!.push(t);
    }
    const existing = new Map<string, Map<string, ExistingSignal>>();
    if (traceList.length > 0) {
      // Raw SQL for DISTINCT ON: the newest usable score per (trace, signal), this run's own first.
      const rows: Array<{
        trace_id: string;
        name: string;
        id: string;
        eval_run_id: string | null;
        status: string;
        value: string | null;
      }> = await this.ds.query(
        `SELECT DISTINCT ON (s.trace_id, s.name) s.trace_id, s.name, s.id, s.eval_run_id, s.status, s.value
           FROM trace_scores s JOIN unnest($3::varchar[], $5::text[]) AS w(name, model) ON w.name = s.name
           WHERE s.project_id = $1 AND s.trace_id = ANY($2::uuid[])
             AND (s.eval_run_id = $4 OR (s.status = 'SUCCESS' AND s.source = 'AUTOMATED' AND s.value_number IS NOT NULL
                                         AND s.metadata -> 'judge_usage' ->> 'model' = w.model))
           ORDER BY s.trace_id, s.name, (s.eval_run_id IS NOT DISTINCT FROM $4::uuid) DESC, s.created_at DESC, s.id DESC`,
        [
          run.projectId,
          traceList.map((t) => t.trace_id),
          signals.map((s) => s.name),
          run.id,
          signals.map((s) => s.model),
        ],
      );
      for (const r of rows) {
        if (!existing.has(r.trace_id)) existing.set(r.trace_id, new Map());
        existing.get(r.trace_id)!.set(r.name, {
          scoreId: r.id,
          evalRunId: r.eval_run_id,
          value: r.status === 'SUCCESS' && r.value !== null ? Number(r.value) : null,
        });
      }
    }
    const scored = new Map<string, Set<string>>();
    for (const r of scoredRows as { session_id: string; name: string }[]) {
      if (!scored.has(r.session_id)) scored.set(r.session_id, new Set());
      scored.get(r.session_id)!.add(r.name);
    }
    return { sessions, signals: existing, scored };
  }

  /** Traces matching a condition on `traces`, oldest first, with their spans: two queries. */
  private async loadTraces(where: string, params: unknown[]): Promise<TraceView[]> {
    const traceRows: TraceRow[] = await this.ds.query(
      `SELECT trace_id, name, status, input, output, metadata, session_id, user_id, tags, environment, started_at, ended_at
       FROM traces WHERE ${where} ORDER BY started_at, trace_id`,
      params,
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
    if (traces.size === 0) return [];
    const spanRows: SpanRow[] = await this.ds.query(
      `SELECT trace_id, span_id, parent_span_id, name, kind, status, input, output, model, error, metadata, started_at, ended_at, token_usage
       FROM spans WHERE trace_id = ANY($1::uuid[]) ORDER BY trace_id, started_at, span_id`,
      [[...traces.keys()]],
    );
    for (const s of spanRows) {
      traces.get(s.trace_id)?.spans.push({
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
      });
    }
    return [...traces.values()];
  }

  /**
   * Writes a batch's scores: trace scores (the signals of a session run) first, then session scores,
   * each one statement through the TypeORM entity. `orIgnore()` on the unique (eval_run_id, trace_id
   * or session_id, name) keys makes a second write a no-op; triggers add what was really inserted to
   * the run's counters. A trace deleted since the batch was loaded fails the foreign key: the batch
   * is written again without it (a savepoint each try); a run deleted meanwhile writes nothing.
   * Committed only if the run is not CANCELLED once the run's row is locked (cancel() updates it),
   * so a cancelled run gets no score after it is CANCELLED. Returns whether it committed.
   */
  async insertScores(run: ExecutableRun, scores: ScoreToWrite[], sessionScores: SessionScoreToWrite[] = []) {
    if (scores.length === 0 && sessionScores.length === 0) return true;
    let rows = [...scores].sort((a, b) => cmp(a.traceId, b.traceId) || cmp(a.name, b.name));
    const sessionRows = [...sessionScores].sort((a, b) => cmp(a.sessionId, b.sessionId) || cmp(a.name, b.name));
    return this.inTransaction(
      async (runner) => {
        for (let attempt = 0; rows.length > 0; attempt++) {
          if (
            await this.insertOrFkViolation(
              runner,
              TraceScoreEntity,
              rows.map((r) => toEntity(run, r)),
            )
          )
            break;
          if (attempt >= 3) throw new Error(`Scores of run ${run.id} kept failing their foreign keys`);
          rows = await this.stillExisting(runner.manager, run, rows);
        }
        await this.transcripts?.writeForRun(runner.manager, run.projectId, run.id, transcriptsOf(rows));
        if (sessionRows.length > 0) {
          await this.insertOrFkViolation(
            runner,
            SessionScoreEntity,
            sessionRows.map((r) => toSessionEntity(run, r)),
          );
        }
        // The run's row lock (the counting trigger took it already if a row was inserted; cancel()
        // takes it): the status read under it stays true until commit. No advisory lock here: score
        // deletions take that one before this row lock, and a trace deletion holds the trace's row.
        const [row] = await runner.query(`SELECT status FROM eval_runs WHERE id = $1 FOR NO KEY UPDATE`, [run.id]);
        return Boolean(row) && row.status !== 'CANCELLED';
      },
      (written) => written,
    );
  }

  /** Runs `work` in a transaction, committed when `keep` says so (else rolled back); its result. */
  private async inTransaction<T>(work: (runner: QueryRunner) => Promise<T>, keep: (result: T) => boolean = () => true) {
    const runner = this.ds.createQueryRunner();
    try {
      await runner.startTransaction();
      try {
        const result = await work(runner);
        if (keep(result)) await runner.commitTransaction();
        else await runner.rollbackTransaction();
        return result;
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  /** One INSERT … ON CONFLICT DO NOTHING under a savepoint; false when it broke a foreign key (rolled back). */
  private async insertOrFkViolation(
    runner: QueryRunner,
    entity: typeof TraceScoreEntity | typeof SessionScoreEntity,
    values: QueryDeepPartialEntity<TraceScoreEntity & SessionScoreEntity>[],
  ): Promise<boolean> {
    await runner.query('SAVEPOINT score_rows');
    try {
      await runner.manager
        .createQueryBuilder()
        .insert()
        .into(entity)
        .values(values)
        .orIgnore()
        .updateEntity(false)
        .execute();
      await runner.query('RELEASE SAVEPOINT score_rows');
      return true;
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      await runner.query('ROLLBACK TO SAVEPOINT score_rows');
      return false;
    }
  }

  /** The scores whose trace is still in the run's project, none if the run is gone. */
  private async stillExisting(m: EntityManager, run: ExecutableRun, rows: ScoreToWrite[]): Promise<ScoreToWrite[]> {
    const found: { trace_id: string }[] = await m.query(
      `SELECT t.trace_id FROM traces t
       WHERE t.project_id = $1 AND t.trace_id = ANY($2::uuid[]) AND EXISTS (SELECT 1 FROM eval_runs r WHERE r.id = $3)`,
      [run.projectId, [...new Set(rows.map((r) => r.traceId))], run.id],
    );
    const alive = new Set(found.map((f) => f.trace_id));
    return rows.filter((r) => alive.has(r.traceId));
  }

  /**
   * Settles the items this process still holds a lease on, in one statement: `done` items are
   * finished (DONE, counted in evaluated_count; one that ends with no stored score and no reason
   * gets one), `release` items go back to PENDING with the reason; the judge usage of both is added
   * to the run. One update of the run row per batch keeps concurrent writers from queueing on it.
   * Raw SQL because TypeORM cannot say a data-modifying CTE. Returns the run's status and usage.
   * A CANCELLED run's items are given back instead, uncounted (the retry takes them).
   */
  async settle(runId: string, token: string, items: FinishedItem[]): Promise<SettleResult> {
    if (items.length === 0) return { finished: 0, settled: 0 };
    const input = items.map((i) => ({
      trace_id: i.traceId,
      kind: i.kind,
      last_error: i.lastError,
      calls: i.usage.calls,
      input_tokens: i.usage.input_tokens,
      output_tokens: i.usage.output_tokens,
      latency_ms: Math.round(i.usage.latency_ms),
      unknown_usage: i.usage.unknown_usage ?? 0,
    }));
    return this.inTransaction(async (runner) => {
      // Serialised with score deletions of this run (their trigger takes the same lock) and with
      // cancel(), so an item settles DONE only while the run is not CANCELLED, and an item whose
      // scores are deleted while it settles cannot end DONE with neither a score nor a reason.
      const [run] = await runner.query(
        `SELECT pg_advisory_xact_lock(eval_run_score_lock($1)), (SELECT status FROM eval_runs WHERE id = $1) AS status`,
        [runId],
      );
      if (run.status === null || run.status === 'CANCELLED') {
        const reason = `run ${run.status ?? 'deleted'}: its result was dropped`;
        const { affected } = await this.execOn(runner, RELEASE_SQL, [
          runId,
          items.map((i) => i.traceId),
          token,
          reason,
        ]);
        return { finished: 0, settled: affected, status: run.status ?? undefined };
      }
      const { rows } = await this.execOn<{ finished: number; settled: number; status: string }>(runner, SETTLE_SQL, [
        runId,
        token,
        JSON.stringify(input),
      ]);
      const row = rows[0];
      return row ? { finished: row.finished, settled: row.settled, status: row.status } : { finished: 0, settled: 0 };
    });
  }

  /** A budget for a run's judge calls, reserved on its row (see RunBudget). */
  budgetFor(run: ExecutableRun, onRefused: (reason: string, stoppedNow: boolean) => void): RunBudget {
    return new RunBudget(this.ds, run, onRefused);
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

  /**
   * Slices with claimable work (PENDING items, or RUNNING items whose lease expired) of the oldest
   * `runs` unfinished runs: one index probe per slice.
   */
  async slicesNeedingWork(runs: number): Promise<Array<{ runId: string; slice: number }>> {
    const rows: { run_id: string; slice: number }[] = await this.ds.query(
      `SELECT r.id AS run_id, s.slice
       FROM (SELECT id, slice_count, created_at FROM eval_runs WHERE status IN ('PENDING', 'RUNNING') ORDER BY created_at LIMIT $1) r
       CROSS JOIN LATERAL generate_series(0, r.slice_count - 1) AS s(slice)
       WHERE EXISTS (
         SELECT 1 FROM eval_run_items i
         WHERE i.run_id = r.id AND i.slice = s.slice AND (i.state = 'PENDING' OR (i.state = 'RUNNING' AND i.lease_expires_at < now()))
       )
       ORDER BY r.created_at, s.slice`,
      [runs],
    );
    return rows.map((r) => ({ runId: r.run_id, slice: r.slice }));
  }
}

/** Gives leased items back: PENDING again, claimable at once. */
const RELEASE_SQL = `UPDATE eval_run_items SET state = 'PENDING', lease_token = NULL, lease_expires_at = NULL, last_error = $4, updated_at = now()
  WHERE run_id = $1 AND trace_id = ANY($2::uuid[]) AND lease_token = $3 AND state = 'RUNNING'`;

/** See settle(). */
const SETTLE_SQL = `WITH input AS (
         SELECT * FROM jsonb_to_recordset($3::jsonb)
           AS x(trace_id uuid, kind text, last_error text, calls int, input_tokens bigint, output_tokens bigint, latency_ms bigint, unknown_usage int)
       ), settled AS (
         UPDATE eval_run_items i SET
           state = CASE WHEN input.kind = 'done' THEN 'DONE' ELSE 'PENDING' END,
           lease_token = NULL, lease_expires_at = NULL, updated_at = now(),
           last_error = CASE
             WHEN input.kind = 'done' AND input.last_error IS NULL AND i.session_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM trace_scores s WHERE s.eval_run_id = $1 AND s.trace_id = input.trace_id)
               THEN 'No score stored for trace ' || input.trace_id || ': the trace or its scores were deleted during evaluation.'
             WHEN input.kind = 'done' AND input.last_error IS NULL AND i.session_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM session_scores s WHERE s.eval_run_id = $1 AND s.session_id = i.session_id)
               THEN 'No score stored for session ' || i.session_id || ': its scores were deleted during evaluation.'
             ELSE input.last_error END
         FROM input
         WHERE i.run_id = $1 AND i.trace_id = input.trace_id AND i.lease_token = $2 AND i.state = 'RUNNING'
         RETURNING i.trace_id, i.state
       ), usage AS (
         SELECT count(*) FILTER (WHERE settled.state = 'DONE')::int AS n, count(*)::int AS settled,
                coalesce(sum(calls), 0) AS calls, coalesce(sum(input_tokens), 0) AS input_tokens,
                coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(latency_ms), 0) AS latency_ms,
                coalesce(sum(unknown_usage), 0) AS unknown_usage
         FROM settled JOIN input USING (trace_id)
       )
       UPDATE eval_runs r SET
         evaluated_count = r.evaluated_count + usage.n,
         judge_calls = r.judge_calls + usage.calls,
         judge_input_tokens = r.judge_input_tokens + usage.input_tokens,
         judge_output_tokens = r.judge_output_tokens + usage.output_tokens,
         judge_latency_ms = r.judge_latency_ms + usage.latency_ms,
         judge_unknown_usage = r.judge_unknown_usage + usage.unknown_usage
       FROM usage
       WHERE r.id = $1 AND usage.settled > 0
       RETURNING usage.n AS finished, usage.settled, r.status`;

export interface SettleResult {
  /** Items finished (DONE). */
  finished: number;
  /** Items finished or released by this call. */
  settled: number;
  /** The run's status after the call; absent when nothing was settled. */
  status?: string;
}

/** A score about to be written for a trace (with the trace's environment, copied to the score). */
export interface ScoreToWrite extends ScoreRow {
  traceId: string;
  environment: string | null;
}

/** The columns every automated score of a run shares, trace or session. */
function automated(run: ExecutableRun, s: ScoreRow & { environment: string | null }) {
  return {
    projectId: run.projectId,
    name: s.name,
    dataType: ScoreDataType.NUMERIC,
    value: s.value,
    source: ScoreSource.AUTOMATED,
    status: s.status === 'SUCCESS' ? ScoreStatus.SUCCESS : ScoreStatus.FAILED,
    evalRunId: run.id,
    reason: s.reason,
    environment: s.environment,
    metadata: s.metadata,
  };
}

function toEntity(run: ExecutableRun, s: ScoreToWrite): QueryDeepPartialEntity<TraceScoreEntity> {
  return { traceId: s.traceId, ...automated(run, s) } as QueryDeepPartialEntity<TraceScoreEntity>;
}

/** A session score about to be written. */
export interface SessionScoreToWrite extends ScoreRow {
  sessionId: string;
  environment: string | null;
}

/** A signal a trace already has: its score, and its value (null: this run's own signal FAILED). */
export interface ExistingSignal {
  scoreId: string;
  evalRunId: string | null;
  value: number | null;
}

/** What a batch of session items is evaluated from. */
export interface SessionBatch {
  /** session id → its traces, oldest first. */
  sessions: Map<string, TraceView[]>;
  /** trace id → signal name → the score it already has. */
  signals: Map<string, Map<string, ExistingSignal>>;
  /** session id → metrics this run already scored for it. */
  scored: Map<string, Set<string>>;
}

function toSessionEntity(run: ExecutableRun, s: SessionScoreToWrite): QueryDeepPartialEntity<SessionScoreEntity> {
  return { sessionId: s.sessionId, ...automated(run, s) } as QueryDeepPartialEntity<SessionScoreEntity>;
}

const transcriptsOf = (rows: ScoreToWrite[]): TranscriptToWrite[] =>
  rows.flatMap((r) => (r.transcript?.length ? [{ traceId: r.traceId, name: r.name, attempts: r.transcript }] : []));

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function isForeignKeyViolation(error: unknown): boolean {
  return (
    (error as { code?: string } | null)?.code === '23503' ||
    (error as { driverError?: { code?: string } })?.driverError?.code === '23503'
  );
}
