import { OrgQuotaService } from '../../quotas/org-quotas.service';
import { CustomMetricRuns } from '../../custom-metrics/runs/custom-metric-runs';
import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG } from '../../../config/config.module';
import type { AppConfig } from '../../../config/env';
import { JudgeService } from '../../judge/judge.service';
import { SESSION_SIGNALS } from '../../metrics/session/session-metrics';
import { MetricsService } from '../../metrics/metrics.service';
import { EvalMetrics } from '../../operators/eval-metrics.service';
import { TERMINAL_STATUSES, EvalRunStatus } from '../entities/eval-run.entity';
import { EvalRunLedgerRepository } from './eval-run-ledger.repository';
import type { ClaimedItem, ExecutableRun, HistoryWanted, SettleResult } from './ledger.types';
import { evaluateSessionItem } from './session-item';
import { evaluateTraceItem } from './trace-item';
import { FaultInjector } from '../../../common/faults/fault-injector';
import { HeldItems } from './held-items';
import { LoadBudget } from './load-budget';
import { FinisherEntry, RunFinisher } from './run-finisher';
import { errorText } from './outcome-rows';
import { type ProgressReporter, type PumpHost, SlicePump } from './slice-pump';
import { SlotPool } from './slot-pool';
import {
  abandonedReason,
  type Batch,
  historyWanted,
  judgeOptionsOf,
  type RunContext,
  runLevelFault,
} from './run-context';

export { MAX_ITEM_ATTEMPTS } from './run-context';

const isTerminal = (status: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(status);

/**
 * Executes slices of runs from their ledger. A slice (one Bull job) is worked by a pump that claims
 * its items in batches with a lease, loads their traces in one go, and evaluates them concurrently
 * through a process-wide pool of EVAL_WORKER_CONCURRENCY slots shared by every slice. The pump
 * returns once no item of the slice is open, so the job stays active while its items are judged.
 * Safe to run twice, in any number of processes: claims skip locked rows, scores have a unique
 * key, settling is conditional on the lease.
 */
@Injectable()
export class EvalRunExecutor implements OnModuleDestroy {
  private readonly logger = new Logger(EvalRunExecutor.name);
  /** The lease token of this process: every item it holds carries it. */
  readonly leaseToken = randomUUID();
  private readonly pool: SlotPool;
  private readonly leaseMs: number;
  private readonly graceMs: number;
  /** Exactly what this process holds: the heartbeat renews these and nothing else. */
  private readonly held = new HeldItems();
  /** The bytes of loaded, unevaluated traces, across every slice: what bounds the worker's heap. */
  private readonly loadBudget: LoadBudget;
  private readonly runs = new Map<string, RunContext>();
  private readonly slices = new Set<Promise<void>>();
  private readonly heartbeat: NodeJS.Timeout;
  /** Aborted when the shutdown grace period is over: evaluations still running give back their unfinished metrics. */
  private readonly shutdown = new AbortController();
  private stopping = false;
  /** Characters kept per value of a session's earlier turn: a rendered value is never longer. */
  private readonly historyChars: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly ledger: EvalRunLedgerRepository,
    private readonly metrics: MetricsService,
    private readonly judge: JudgeService,
    private readonly evalMetrics: EvalMetrics,
    private readonly faults: FaultInjector,
    @Optional() private readonly quotas?: OrgQuotaService,
    @Optional() private readonly customMetrics?: CustomMetricRuns,
  ) {
    this.pool = new SlotPool(config.evalRuns.workerConcurrency);
    this.loadBudget = new LoadBudget(config.evalRuns.loadBytes);
    this.leaseMs = config.evalRuns.itemLeaseMs;
    this.graceMs = config.evalRuns.shutdownGraceMs;
    this.historyChars = config.judge.render.fieldChars;
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(250, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
  }

  get inFlight(): number {
    return this.pool.inUse;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Items this process holds a lease on right now. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Whether this process has seen the run stop (cancel, budget): no judge call of it starts any more. */
  hasStopped(runId: string): boolean {
    return Boolean(this.runs.get(runId)?.stopped);
  }

  /**
   * Works on one slice of a run until none of its items is open (or the run is terminal, or the
   * process stops). Never throws for an item; throws when the ledger itself cannot be reached.
   */
  async runSlice(runId: string, slice: number, progress?: ProgressReporter): Promise<void> {
    if (this.stopping) return;
    // A slice of a filtered run is written to the ledger when its job first runs (creation wrote the first).
    await this.ledger.materializeSlice(runId, slice);
    const ctx = await this.openRun(runId);
    if (!ctx) return;
    const work = this.pumpSlice(ctx, slice, progress);
    this.slices.add(work);
    try {
      await work;
    } finally {
      this.slices.delete(work);
      if (--ctx.slices === 0) {
        this.runs.delete(runId);
        this.releaseQuota(ctx);
      }
    }
    if (!this.stopping && !ctx.stopped && (await this.ledger.completeIfDone(runId))) {
      this.evalMetrics.runFinished('COMPLETED');
    }
  }

  /**
   * Marks a run stopped in this process (e.g. a cancel announced by the API): no item or judge call
   * of it starts, its prefetched items go back at once, and with `abort` its calls in flight end.
   */
  stopRun(runId: string, reason: string, abort = true): void {
    const ctx = this.runs.get(runId);
    if (!ctx) return;
    if (!ctx.stopped) {
      ctx.stopped = reason;
      this.pool.wakeAll();
    }
    if (abort && !ctx.abort.signal.aborted) ctx.abort.abort(new Error(reason));
    // No judge call of the run starts any more: the calls its lease still holds go back.
    this.releaseQuota(ctx);
  }

  /** Gives back the judge calls a run's lease took and did not use (its next call, if any, takes again). */
  private releaseQuota(ctx: RunContext): void {
    ctx.judgeQuota?.release().catch((error: unknown) => {
      this.logger.warn({ err: error, runId: ctx.run.id }, 'Could not give back reserved judge calls');
    });
  }

  /** Stop claiming, let in-flight items finish (up to the grace period), give back what is left. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.pool.wakeAll();
    const pending = Promise.allSettled([...this.slices]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, this.graceMs)));
    await Promise.race([pending, grace]);
    // Evaluations still running now keep their finished metrics and give back the rest.
    this.shutdown.abort(new Error('worker shutting down'));
    await Promise.race([pending, sleep(5_000, undefined, { ref: false })]);
    clearTimeout(timer);
    clearInterval(this.heartbeat);
    try {
      const released = await this.ledger.releaseAll(this.leaseToken);
      if (released > 0) this.logger.log(`Released ${released} eval-run items at shutdown`);
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not release eval-run items at shutdown; their leases will expire');
    }
  }

  /** Renews the leases of what this process holds, and notices runs that were stopped elsewhere. */
  private async renewLeases(): Promise<void> {
    try {
      await this.ledger.heartbeat(this.leaseToken, this.leaseMs, this.held.list());
      const statuses = await this.ledger.runStatuses([...this.runs.keys()]);
      for (const runId of this.runs.keys()) {
        const status = statuses.get(runId);
        // A run FAILED by its budget elsewhere keeps its reserved calls in flight; a cancelled or deleted one does not.
        if (status === undefined || isTerminal(status))
          this.stopRun(runId, `run ${status ?? 'deleted'}`, status !== 'FAILED');
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'Lease heartbeat failed');
    }
  }

  /** The run's context in this process, created on its first slice; null when there is nothing to do. */
  private async openRun(runId: string): Promise<RunContext | null> {
    const existing = this.runs.get(runId);
    if (existing) {
      existing.slices += 1;
      return existing;
    }
    const run = await this.ledger.loadRun(runId);
    if (!run || isTerminal(run.status)) return null;
    const definitions = await this.customDefinitions(run);
    const fault = runLevelFault(run, this.metrics, this.judge, definitions);
    if (fault) {
      if (await this.ledger.failRun(run.id, fault)) {
        this.logger.warn({ runId, fault }, 'Eval run FAILED');
        this.evalMetrics.runFinished('FAILED');
      }
      return null;
    }
    await this.ledger.markRunning(run.id);
    // Another slice of the same run may have opened it meanwhile.
    const raced = this.runs.get(runId);
    if (raced) {
      raced.slices += 1;
      return raced;
    }
    const abort = new AbortController();
    const ctx: RunContext = {
      run,
      stopped: null,
      slices: 1,
      abort,
      signal: AbortSignal.any([this.shutdown.signal, abort.signal]),
      definitions,
      history: historyWanted(definitions, this.historyChars),
      budget:
        run.maxJudgeCalls !== null || run.maxJudgeTokens !== null
          ? this.ledger.budgetFor(run, (reason, stoppedNow) => this.budgetRefused(run.id, reason, stoppedNow))
          : undefined,
      judgeQuota: this.quotas?.judgeCallLeaseOf(run.projectId),
      finisher: new RunFinisher(this.ledger, run, this.leaseToken, this.faults, (result, batch) =>
        this.afterBatch(ctx, result, batch),
      ),
    };
    this.runs.set(runId, ctx);
    return ctx;
  }

  /** A TRACE run's custom metrics (names the registry does not know), pinned by its creation time. */
  private async customDefinitions(run: ExecutableRun) {
    const names = run.metricNames.filter((m) => !this.metrics.isKnownTraceMetric(m));
    if (run.targetType !== 'TRACE' || names.length === 0 || !this.customMetrics) return undefined;
    return this.customMetrics.forRun(run.projectId, names, run.createdAt);
  }

  /** A judge call its run's budget refused: the run stops here (FAILED once, by the first refusal). */
  private budgetRefused(runId: string, reason: string, stoppedNow: boolean): void {
    if (stoppedNow) {
      this.logger.warn({ runId, reason }, 'Eval run stopped by its budget');
      this.evalMetrics.runFinished('FAILED');
    }
    this.stopRun(runId, reason, false);
  }

  private afterBatch(ctx: RunContext, result: SettleResult, batch: FinisherEntry[]): void {
    // A cancelled run's results were dropped: nothing of this batch was counted.
    if (result.status === EvalRunStatus.CANCELLED) return this.stopRun(ctx.run.id, 'run CANCELLED');
    for (const e of batch) {
      if (e.item.kind === 'done' && e.scores.length === 0 && e.item.skipped) {
        for (const metric of e.item.skipped) this.evalMetrics.itemProcessed('skipped', metric);
      }
      for (const s of [...e.scores, ...e.sessionScores]) {
        this.evalMetrics.itemProcessed(s.status === 'SUCCESS' ? 'succeeded' : 'failed', s.name);
      }
      for (const metric of e.item.unfinished ?? []) this.evalMetrics.itemProcessed('interrupted', metric);
    }
    const status = result.status;
    if (status && isTerminal(status)) this.stopRun(ctx.run.id, `run ${status}`, status !== EvalRunStatus.FAILED);
  }

  /** Pumps one slice (see SlicePump) with this process's pool, ledger and evaluation. */
  private async pumpSlice(ctx: RunContext, slice: number, progress?: ProgressReporter): Promise<void> {
    const { run, finisher } = ctx;
    const state = await this.ledger.sliceState(run.id, slice);
    const host: PumpHost<Batch> = {
      pool: this.pool,
      ledger: this.ledger,
      leaseMs: this.leaseMs,
      projectId: run.projectId,
      live: () => !this.stopping && !ctx.stopped,
      claimAndLoad: (limit) => this.claimAndLoad(run, slice, limit, ctx.history),
      evaluate: ({ item, batch }, judged) => this.evaluate(ctx, item, batch, finisher, judged),
      giveBack: (ids) => this.releaseItems(run.id, ids, ctx.stopped ?? 'released at worker shutdown'),
    };
    await new SlicePump(host, run.id, slice, state ?? { open: 0, total: 0 }, progress).run();
  }

  /**
   * Claims and loads a batch of a slice: the claimed items that fit in the load budget, the rest
   * given back unloaded (their attempt not counted). Nothing is claimed while the budget is full:
   * the pump tries again once an item settles. What cannot be loaded is given back; a lost claim expires.
   */
  private async claimAndLoad(run: ExecutableRun, slice: number, limit: number, history?: HistoryWanted) {
    if (!this.loadBudget.hasRoom()) return [];
    const claimed = await this.ledger.claim(run.id, slice, this.leaseToken, limit, this.leaseMs);
    // A fault here loses the claimed items before they are tracked: their leases must expire.
    this.faults.hit('claim');
    const ids = claimed.map((c) => c.traceId);
    this.held.add(run.id, ids);
    try {
      const taken = claimed.length > 0 ? await this.keepWhatFits(run, claimed) : [];
      if (taken.length === 0) return [];
      const batch = await this.loadClaimed(run, taken, history);
      this.faults.hit('load');
      return taken.map((item) => ({ item, batch }));
    } catch (error) {
      await this.releaseItems(run.id, ids, errorText(error));
      throw error;
    }
  }

  /** The claimed items that fit in the load budget (reserved); the others are given back unloaded. */
  private async keepWhatFits(run: ExecutableRun, claimed: ClaimedItem[]): Promise<ClaimedItem[]> {
    const ids = claimed.map((c) => c.traceId);
    const bytes = await this.ledger.itemBytes(run, claimed);
    // An abandoned item is failed without being loaded (loadClaimed): it weighs nothing.
    const n = this.loadBudget.take(
      run.id,
      ids,
      bytes.map((b, i) => (abandonedReason(claimed[i]) ? 0 : b)),
    );
    if (n < claimed.length) {
      await this.ledger.unclaim(run.id, ids.slice(n), this.leaseToken);
      this.held.remove(run.id, ids.slice(n));
    }
    return claimed.slice(0, n);
  }

  /**
   * Loads the claimed items' traces or sessions. Items their workers kept dying on (abandoned) are
   * not loaded, only their environment is read: the loading itself may be what killed the workers
   * (a session heavier than the heap), and they are failed without judging anyway.
   */
  private async loadClaimed(run: ExecutableRun, items: ClaimedItem[], history?: HistoryWanted): Promise<Batch> {
    const abandoned = items.filter((c) => abandonedReason(c) !== null);
    const live = items.filter((c) => abandonedReason(c) === null);
    if (run.targetType !== 'SESSION') {
      const [ids, abandonedIds] = [live, abandoned].map((list) => list.map((c) => c.traceId));
      return { kind: 'trace', ...(await this.ledger.loadBatch(run, ids, history, abandonedIds)) };
    }
    const signals = SESSION_SIGNALS.map((name) => ({
      name,
      model: this.metrics.judgeModelOf(name, run.model ?? undefined),
    }));
    const [ids, abandonedIds] = [live, abandoned].map((list) => list.map((c) => c.sessionId!));
    const data = await this.ledger.loadSessionBatch(run, ids, signals, abandonedIds);
    return { kind: 'session', data };
  }

  /**
   * An item judged: its slot and its load budget are given back, and its trace (or session) leaves
   * the batch, so the heap holds what the budget counts while the batch's other items wait.
   */
  private unload(runId: string, item: ClaimedItem, batch: Batch, judged: () => void): void {
    judged();
    if (batch.kind === 'session') batch.data.sessions.delete(item.sessionId!);
    else batch.traces.delete(item.traceId);
    this.loadBudget.give(runId, [item.traceId]);
  }

  /** Gives items back; if even that fails, forgets them (not renewed, so their leases expire). */
  private async releaseItems(runId: string, traceIds: string[], reason: string): Promise<void> {
    try {
      this.faults.hit('release');
      await this.ledger.release(runId, traceIds, this.leaseToken, reason);
    } catch (error) {
      this.logger.warn({ err: error, runId }, 'Could not release eval-run items; their leases will expire');
    } finally {
      this.held.remove(runId, traceIds);
      this.loadBudget.give(runId, traceIds);
    }
  }

  /** Evaluates one claimed item and submits its result; an unexpected error gives it back. Never throws. */
  private async evaluate(
    ctx: RunContext,
    item: ClaimedItem,
    batch: Batch,
    finisher: RunFinisher,
    judged: () => void,
  ): Promise<void> {
    const { run } = ctx;
    try {
      const deps = {
        metrics: this.metrics,
        judgeOptions: judgeOptionsOf(ctx, this.faults),
        stopping: () => this.stopping,
        abandoned: abandonedReason(item),
      };
      if (batch.kind === 'session') {
        const result = await evaluateSessionItem(run, item, batch.data, deps);
        this.unload(run.id, item, batch, judged);
        await finisher.submit(result.finished, result.signals, result.sessionScores);
      } else {
        const result = await evaluateTraceItem(run, item, batch, deps);
        this.unload(run.id, item, batch, judged);
        if (result.timed) this.evalMetrics.itemDuration(result.timed.failed ? 'failed' : 'succeeded', result.timed.ms);
        await finisher.submit(result.finished, result.scores);
      }
      this.held.remove(run.id, [item.traceId]);
    } catch (error) {
      judged();
      this.logger.warn(
        { err: error, runId: run.id, traceId: item.traceId },
        'Eval-run item failed unexpectedly; released for another attempt',
      );
      await this.releaseItems(run.id, [item.traceId], errorText(error));
    }
  }
}
