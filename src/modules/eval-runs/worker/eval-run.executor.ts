import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG } from '../../../config/config.module';
import type { AppConfig } from '../../../config/env';
import { JudgeService } from '../../judge/judge.service';
import type { MetricOutcome } from '../../metrics/metrics.types';
import { MetricsService } from '../../metrics/metrics.service';
import type { TraceView } from '../../metrics/types/trace-view';
import {
  ClaimedItem,
  EvalRunLedgerRepository,
  ExecutableRun,
  FinishedItem,
  ScoreRow,
} from './eval-run-ledger.repository';
import { RunFinisher } from './run-finisher';
import { formatScoreValue } from './score-value';
import { SlotPool } from './slot-pool';

/** An item claimed this many times (its workers kept dying on it) is finished as failed. */
export const MAX_ITEM_ATTEMPTS = 5;
/** How long shutdown waits for in-flight items before giving their leases back. */
const SHUTDOWN_GRACE_MS = 20_000;

interface Batch {
  traces: Map<string, TraceView>;
  scored: Map<string, Set<string>>;
}

const ZERO_USAGE: FinishedItem['usage'] = { calls: 0, input_tokens: 0, output_tokens: 0, latency_ms: 0 };

/**
 * Executes runs from their ledger. One "pump" per run and process claims items in batches with a
 * lease, loads their traces in one go, and evaluates them concurrently through a process-wide pool
 * of EVAL_WORKER_CONCURRENCY slots shared by all runs. Safe to run twice, in any number of
 * processes: claims skip locked rows, scores have a unique key, finishes are conditional.
 */
@Injectable()
export class EvalRunExecutor implements OnModuleDestroy {
  private readonly logger = new Logger(EvalRunExecutor.name);
  /** The lease token of this process: every item it holds carries it. */
  readonly leaseToken = randomUUID();
  private readonly pool: SlotPool;
  private readonly leaseMs: number;
  private readonly pumps = new Map<string, Promise<void>>();
  private readonly heartbeat: NodeJS.Timeout;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly ledger: EvalRunLedgerRepository,
    private readonly metrics: MetricsService,
    private readonly judge: JudgeService,
  ) {
    this.pool = new SlotPool(config.evalRuns.workerConcurrency);
    this.leaseMs = config.evalRuns.itemLeaseMs;
    // Leases are renewed while items are in flight, so only a dead process lets them expire.
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(250, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
  }

  get activeRuns(): number {
    return this.pumps.size;
  }

  get inFlight(): number {
    return this.pool.inUse;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Starts working on a run unless this process already is. Never throws; resolves when the pump ends. */
  drain(runId: string): Promise<void> {
    if (this.stopping) return Promise.resolve();
    const existing = this.pumps.get(runId);
    if (existing) return existing;
    const pump = this.pump(runId)
      .catch((error: unknown) =>
        this.logger.error({ err: error, runId }, 'Eval-run pump stopped on an error; the sweeper will resume it'),
      )
      .finally(() => this.pumps.delete(runId));
    this.pumps.set(runId, pump);
    return pump;
  }

  /** Stop claiming, let in-flight items finish (up to a grace period), give back what is left. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.pool.wakeAll();
    const pending = Promise.allSettled([...this.pumps.values()]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pending, new Promise((r) => (timer = setTimeout(r, SHUTDOWN_GRACE_MS)))]);
    clearTimeout(timer);
    clearInterval(this.heartbeat);
    try {
      const released = await this.ledger.releaseAll(this.leaseToken);
      if (released > 0) this.logger.log(`Released ${released} eval-run items at shutdown`);
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not release eval-run items at shutdown; their leases will expire');
    }
  }

  private async renewLeases(): Promise<void> {
    if (this.pool.inUse === 0) return;
    try {
      await this.ledger.heartbeat(this.leaseToken, this.leaseMs);
    } catch (error) {
      this.logger.warn({ err: error }, 'Lease heartbeat failed');
    }
  }

  private async pump(runId: string): Promise<void> {
    const run = await this.ledger.loadRun(runId);
    if (!run || (run.status !== 'PENDING' && run.status !== 'RUNNING')) return;
    const fault = this.runLevelFault(run);
    if (fault) {
      if (await this.ledger.failRun(run.id, fault)) this.logger.warn({ runId, fault }, 'Eval run FAILED');
      return;
    }
    await this.ledger.markRunning(run.id);

    const finisher = new RunFinisher(this.ledger, run, this.leaseToken);
    const mine = new Set<Promise<void>>();
    /** Claimed and loaded, waiting for a slot: a small prefetch that hides the claim and load latency. */
    const ready: Array<{ item: ClaimedItem; batch: Batch }> = [];
    const batchMin = Math.max(1, Math.floor(this.pool.capacity / 8));
    /** Items evaluated or being evaluated but not yet written: bounded, in case the database lags. */
    const maxUnsettled = this.pool.capacity * 4;
    let judging = 0;
    let slotFreed: (() => void) | null = null;
    let exhausted = false;
    while (!this.stopping) {
      let wanted = 0;
      if (!exhausted && ready.length < batchMin) {
        // Runs share the pool: each pump holds at most its fair share of slots, plus the prefetch.
        const share = Math.max(batchMin, Math.ceil(this.pool.capacity / Math.max(1, this.pumps.size)));
        wanted = Math.max(0, share + batchMin - judging - ready.length);
        if (wanted > 0) {
          const claimed = await this.ledger.claim(run.id, this.leaseToken, wanted, this.leaseMs);
          if (claimed.length === 0) exhausted = true;
          else {
            let batch: Batch;
            try {
              batch = await this.ledger.loadBatch(
                run,
                claimed.map((c) => c.traceId),
              );
            } catch (error) {
              await Promise.all(
                claimed.map((c) =>
                  this.ledger.release(run.id, c.traceId, this.leaseToken, errorText(error)).catch(() => undefined),
                ),
              );
              throw error;
            }
            for (const item of claimed) ready.push({ item, batch });
          }
        }
      }
      while (ready.length > 0 && !this.stopping && mine.size < maxUnsettled && this.pool.reserve(1) === 1) {
        const { item, batch } = ready.shift()!;
        // The slot bounds judging only: it is given back as soon as the metrics are evaluated, while
        // the scores are still being written (group commit), so the judge never waits on the database.
        let holding = true;
        judging += 1;
        const freeSlot = () => {
          if (!holding) return;
          holding = false;
          judging -= 1;
          this.pool.release(1);
          const wake = slotFreed;
          slotFreed = null;
          wake?.();
        };
        const p: Promise<void> = this.evaluate(run, item, batch, finisher, freeSlot).finally(() => {
          freeSlot();
          mine.delete(p);
        });
        mine.add(p);
      }
      if (mine.size >= maxUnsettled) {
        await Promise.race(mine);
        continue;
      }
      if (ready.length > 0) {
        await this.pool.waitForFree(1);
        continue;
      }
      if (exhausted) {
        if (mine.size === 0) break;
        await Promise.race(mine);
        // Claim again: leases of dead workers expire and other workers give items back.
        exhausted = false;
      } else if (wanted === 0 && judging > 0) {
        // This pump holds its share of slots: wait until one of them is given back.
        await new Promise<void>((resolve) => (slotFreed = resolve));
      }
    }
    await Promise.allSettled([...mine]);
    if (!this.stopping) await this.ledger.completeIfDone(run.id);
  }

  /** A fault no item can get past: FAILED with this message rather than a run full of failures. */
  private runLevelFault(run: ExecutableRun): string | null {
    const unknown = run.metricNames.filter((m) => !this.metrics.isKnownTraceMetric(m));
    if (unknown.length > 0) return `Unknown metrics: ${unknown.join(', ')}`;
    try {
      this.judge.assertModelUsable(run.model ?? undefined);
    } catch (error) {
      return errorText(error);
    }
    return null;
  }

  private async evaluate(
    run: ExecutableRun,
    item: ClaimedItem,
    batch: Batch,
    finisher: RunFinisher,
    judged: () => void,
  ): Promise<void> {
    try {
      const trace = batch.traces.get(item.traceId);
      if (!trace) {
        // Deleted (or moved) since the run was created: finished, with the reason on the item, no score.
        await finisher.submit(
          {
            traceId: item.traceId,
            lastError: `Trace ${item.traceId} no longer exists in this project; nothing was scored.`,
            usage: ZERO_USAGE,
          },
          [],
        );
        return;
      }
      const wanted = item.metricNames ?? run.metricNames;
      const already = batch.scored.get(item.traceId);
      const todo = already ? wanted.filter((m) => !already.has(m)) : wanted;

      let outcomes: MetricOutcome[];
      if (item.attempts > MAX_ITEM_ATTEMPTS) {
        const error = `evaluation abandoned after ${item.attempts - 1} interrupted attempts`;
        outcomes = todo.map((metric) => ({
          metric,
          ok: false,
          error,
          usage: { model: run.model ?? '', ...ZERO_USAGE },
        }));
      } else {
        outcomes =
          todo.length > 0
            ? await this.metrics.evaluateTrace(trace, todo, { model: run.model ?? undefined, projectId: run.projectId })
            : [];
      }
      judged();
      if (this.stopping && outcomes.some((o) => !o.ok)) {
        // A failure during shutdown may be the shutdown itself (e.g. the judge's limiter closing):
        // give the item back rather than record it.
        await this.ledger.release(run.id, item.traceId, this.leaseToken, 'released at worker shutdown');
        return;
      }
      const failures = outcomes.filter((o): o is Extract<MetricOutcome, { ok: false }> => !o.ok);
      await finisher.submit(
        {
          traceId: item.traceId,
          lastError: failures.length
            ? failures
                .map((f) => `${f.metric}: ${f.error}`)
                .join('; ')
                .slice(0, 4000)
            : null,
          usage: sumUsage(outcomes),
        },
        outcomes.map(toScoreRow),
      );
    } catch (error) {
      this.logger.warn(
        { err: error, runId: run.id, traceId: item.traceId },
        'Eval-run item failed unexpectedly; released for another attempt',
      );
      await this.ledger.release(run.id, item.traceId, this.leaseToken, errorText(error)).catch(() => undefined);
    }
  }
}

function toScoreRow(o: MetricOutcome): ScoreRow {
  const judge_usage = o.usage;
  if (o.ok) {
    return {
      name: o.metric,
      value: formatScoreValue(o.score),
      status: 'SUCCESS',
      reason: o.reason,
      metadata: { ...o.metadata, judge_usage },
    };
  }
  return {
    name: o.metric,
    value: null,
    status: 'FAILED',
    reason: `Metric execution failed: ${o.error}`,
    metadata: { judge_usage },
  };
}

/** Unreported token counts (null) stay out of the sums and are counted instead. */
function sumUsage(outcomes: MetricOutcome[]): FinishedItem['usage'] {
  const total = { ...ZERO_USAGE, unknown_usage: 0 };
  for (const { usage } of outcomes) {
    total.calls += usage.calls;
    total.input_tokens += usage.input_tokens ?? 0;
    total.output_tokens += usage.output_tokens ?? 0;
    total.latency_ms += usage.latency_ms;
    if (usage.input_tokens === null || usage.output_tokens === null) total.unknown_usage += 1;
  }
  return total;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
