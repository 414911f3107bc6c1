import { Injectable, Optional } from '@nestjs/common';
import { ReservedConnection } from '../../../database/reserved-connection';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RunBudget } from './run-budget';
import { execute, inTransaction, type Prepared } from '../../../database/prepared';
import {
  CLAIM_SQL,
  HEARTBEAT_SQL,
  RELEASE_ALL_SQL,
  RELEASE_SQL,
  SLICE_STATE_SQL,
  UNCLAIM_SQL,
} from './ledger-leases.sql';
import { MATERIALIZE_SLICE_SQL } from '../pending-items.sql';
import {
  COMPLETE_IF_DONE_SQL,
  COMPLETE_SETTLED_SQL,
  FAIL_RUN_SQL,
  MARK_RUNNING_SQL,
  SETTLE_SQL,
} from './run-state.sql';
import { RunScoreStore } from '../../scores/run-scores.store';
import { TracesForJudging } from '../../traces/traces-for-judging';
import { ItemLoader } from './item-loader';
import { RunScoreWriter } from './score-writer';
import { JudgeTranscriptStore } from '../../scores/transcripts/judge-transcript.store';
import type {
  ClaimedItem,
  ExecutableRun,
  HistoryWanted,
  FinishedItem,
  ScoreToWrite,
  SessionBatch,
  SessionScoreToWrite,
  SettleResult,
  SliceState,
  TraceBatch,
} from './ledger.types';

export type * from './ledger.types';

/**
 * The worker's view of the ledger. Every state change is a conditional update keyed by the lease
 * token, so a re-delivered job, a second worker or a late finisher can never double-count. Run
 * state and leases are here; loading a batch is ItemLoader's, writing scores RunScoreWriter's.
 */
@Injectable()
export class EvalRunLedgerRepository {
  private readonly loader: ItemLoader;
  private readonly scores: RunScoreWriter;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    traces: TracesForJudging,
    scores: RunScoreStore,
    /** The heartbeat's own connection: leases are renewed however busy the shared pool is. */
    @Optional() private readonly reserved?: ReservedConnection,
    @Optional() transcripts?: JudgeTranscriptStore,
  ) {
    this.loader = new ItemLoader(traces, scores);
    this.scores = new RunScoreWriter(ds, scores, traces, transcripts);
  }

  private exec<T = Record<string, unknown>>(sql: string | Prepared, params: unknown[] = []) {
    return execute<T>(this.ds, sql, params);
  }

  async loadRun(runId: string): Promise<ExecutableRun | null> {
    const [row] = await this.ds.query(
      `SELECT id, project_id, target_type, filters, metric_names, model, status, max_judge_calls, max_judge_tokens, created_at FROM eval_runs WHERE id = $1`,
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
          createdAt: new Date(row.created_at),
        }
      : null;
  }

  /** PENDING → RUNNING (once); started_at marks when work started. */
  async markRunning(runId: string): Promise<void> {
    await this.exec(MARK_RUNNING_SQL, [runId]);
  }

  /** A run-level fault: FAILED with the reason. Only an unfinished run can fail. */
  async failRun(runId: string, message: string): Promise<boolean> {
    return (await this.exec(FAIL_RUN_SQL, [runId, message])).affected > 0;
  }

  /** COMPLETED when no item is open (also with failed scores). Safe to call any number of times. */
  async completeIfDone(runId: string): Promise<boolean> {
    return (await this.exec(COMPLETE_IF_DONE_SQL, [runId])).affected > 0;
  }

  /**
   * Leases up to `limit` open items of one slice of a run: PENDING ones, or RUNNING ones whose lease
   * expired (their worker died); nothing once the run is terminal. `FOR UPDATE SKIP LOCKED` lets
   * several workers claim from one slice without waiting for each other.
   */
  async claim(runId: string, slice: number, token: string, limit: number, leaseMs: number): Promise<ClaimedItem[]> {
    if (limit <= 0) return [];
    const { rows } = await this.exec<{
      trace_id: string;
      session_id: string | null;
      metric_names: string[] | null;
      attempts: number;
    }>(CLAIM_SQL, [runId, token, limit, leaseMs, slice]);
    return rows.map((r) => ({
      traceId: r.trace_id,
      sessionId: r.session_id,
      metricNames: r.metric_names,
      attempts: r.attempts,
    }));
  }

  /** The run's status, how many items of the slice are not DONE and how many it has (null when the run is gone). */
  async sliceState(runId: string, slice: number): Promise<SliceState | null> {
    const [row] = await this.ds.query(SLICE_STATE_SQL, [runId, slice]);
    return row ? { status: row.status, open: row.open, total: row.total } : null;
  }

  /**
   * Extends the leases of exactly the items given (what this process's slots, prefetch and write
   * batches hold), nothing else: an item the process lost track of expires and is taken over.
   */
  async heartbeat(token: string, leaseMs: number, held: Array<{ runId: string; traceId: string }>): Promise<number> {
    if (held.length === 0) return 0;
    const run = this.reserved ? this.reserved.exec.bind(this.reserved) : this.exec.bind(this);
    const { affected } = await run(HEARTBEAT_SQL, [
      token,
      leaseMs,
      held.map((h) => h.runId),
      held.map((h) => h.traceId),
    ]);
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

  /** Gives back claimed items that were not loaded (no room in the load budget); the attempt is not counted. */
  async unclaim(runId: string, traceIds: string[], token: string): Promise<void> {
    if (traceIds.length === 0) return;
    await this.exec(UNCLAIM_SQL, [runId, traceIds, token]);
  }

  /** What the claimed items weigh loaded: see ItemLoader.itemBytes. */
  itemBytes(run: ExecutableRun, items: ClaimedItem[]): Promise<number[]> {
    return this.loader.itemBytes(run, items);
  }

  /** Gives back every item this process still holds; the attempt is not counted against them. */
  async releaseAll(token: string): Promise<number> {
    return (await this.exec(RELEASE_ALL_SQL, [token])).affected;
  }

  /** A trace run's batch: see ItemLoader.loadBatch. */
  loadBatch(
    run: ExecutableRun,
    traceIds: string[],
    history?: HistoryWanted,
    abandonedIds?: string[],
  ): Promise<TraceBatch> {
    return this.loader.loadBatch(run, traceIds, history, abandonedIds);
  }

  /** A session run's batch: see ItemLoader.loadSessionBatch. */
  loadSessionBatch(
    run: ExecutableRun,
    sessionIds: string[],
    signals: ReadonlyArray<{ name: string; model: string }>,
    abandonedIds?: string[],
  ): Promise<SessionBatch> {
    return this.loader.loadSessionBatch(run, sessionIds, signals, abandonedIds);
  }

  /** A batch's scores, exactly once, unless the run is CANCELLED: see RunScoreWriter. */
  insertScores(run: ExecutableRun, scores: ScoreToWrite[], sessionScores: SessionScoreToWrite[] = []) {
    return this.scores.insertScores(run, scores, sessionScores);
  }

  /**
   * Settles the items this process still holds a lease on, in one statement: `done` items are
   * finished (DONE, counted in evaluated_count; one that ends with no stored score and no reason
   * gets one), `release` items go back to PENDING with the reason; the judge usage of both is added
   * to the run. One update of the run row per batch keeps concurrent writers from queueing on it.
   * Returns the run's status and usage. A CANCELLED run's items are given back instead, uncounted
   * (the retry takes them).
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
    return inTransaction(this.ds, async (runner) => {
      // Serialised with score deletions of this run (their trigger takes the same lock) and with
      // cancel(), so an item settles DONE only while the run is not CANCELLED, and an item whose
      // scores are deleted while it settles cannot end DONE with neither a score nor a reason.
      const [run] = await runner.query(
        `SELECT pg_advisory_xact_lock(eval_run_score_lock($1)), (SELECT status FROM eval_runs WHERE id = $1) AS status`,
        [runId],
      );
      if (run.status === null || run.status === 'CANCELLED') {
        const reason = `run ${run.status ?? 'deleted'}: its result was dropped`;
        const ids = items.map((i) => i.traceId);
        const { affected } = await execute(runner, RELEASE_SQL, [runId, ids, token, reason]);
        return { finished: 0, settled: affected, status: run.status ?? undefined };
      }
      const { rows } = await execute<Required<SettleResult>>(runner, SETTLE_SQL, [runId, token, JSON.stringify(input)]);
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
    return (await this.exec<{ id: string }>(COMPLETE_SETTLED_SQL)).rows.map((r) => r.id);
  }

  /**
   * Writes a slice the run's creation left outside the ledger into it (a no-op for a slice already
   * there); returns the items written. See pending-items.sql.ts.
   */
  async materializeSlice(runId: string, slice: number): Promise<number> {
    return (await this.exec(MATERIALIZE_SLICE_SQL, [runId, slice])).affected;
  }
}
