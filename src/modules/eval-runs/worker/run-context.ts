import type { JudgeService } from '../../judge/judge.service';
import type { MetricDefinition } from '../../metrics/metric-definition';
import type { MetricsService } from '../../metrics/metrics.service';
import type { EvaluateTraceOptions } from '../../metrics/metrics.types';
import type { JudgeCallLease } from '../../quotas/judge-call-lease';
import type { FaultInjector } from '../../../common/faults/fault-injector';
import type { ClaimedItem, ExecutableRun, HistoryWanted, SessionBatch, TraceBatch } from './ledger.types';
import { errorText } from './outcome-rows';
import type { RunBudget } from './run-budget';
import type { RunFinisher } from './run-finisher';

/** An item claimed this many times (its workers kept dying on it) is finished as failed. */
export const MAX_ITEM_ATTEMPTS = 5;

/** What a claimed batch is evaluated from: its traces, or for a SESSION run its sessions. */
export type Batch = ({ kind: 'trace' } & TraceBatch) | { kind: 'session'; data: SessionBatch };

/** A run this process works on: shared by its slices here, so they share one write batch. */
export interface RunContext {
  run: ExecutableRun;
  finisher: RunFinisher;
  /** Set once the run is terminal (cancelled, over budget): no item or judge call starts after it. */
  stopped: string | null;
  slices: number;
  /** Aborted at a cancel (not at a budget stop: reserved calls finish): its judge calls end at once. */
  abort: AbortController;
  /** The run's abort or the process's shutdown. */
  signal: AbortSignal;
  /** Present when the run has a judge budget: every judge call reserves its place first. */
  budget: RunBudget | undefined;
  /** The organization's daily judge quota, taken in blocks for this run's calls here; released when the run ends here. */
  judgeQuota: JudgeCallLease | undefined;
  /** The run's custom metrics, at the versions pinned by its creation time (CustomMetricRuns). */
  definitions?: ReadonlyMap<string, MetricDefinition>;
  /** Set when those show `{{session_history}}`: each batch also loads its traces' earlier session turns. */
  history?: HistoryWanted;
}

/** What evaluating one item (trace or session) needs of the executor. */
export interface ItemDeps {
  metrics: Pick<MetricsService, 'evaluateTrace'>;
  /** Judge options (model, project, abort signal, the guard run before every judge call). */
  judgeOptions: EvaluateTraceOptions;
  /** True while the process shuts down: a failure then may be the shutdown itself, so it goes back. */
  stopping: () => boolean;
  /** When set, the item's workers kept dying on it: its metrics are written FAILED with this reason. */
  abandoned: string | null;
}

/** A fault no item can get past: FAILED with this message rather than a run full of failures. */
export function runLevelFault(
  run: ExecutableRun,
  metrics: Pick<MetricsService, 'isKnownSessionMetric' | 'isKnownTraceMetric'>,
  judge: Pick<JudgeService, 'assertModelUsable'>,
  custom?: ReadonlyMap<string, unknown>,
): string | null {
  const known = (m: string) =>
    run.targetType === 'SESSION'
      ? metrics.isKnownSessionMetric(m)
      : metrics.isKnownTraceMetric(m) || Boolean(custom?.has(m));
  const unknown = run.metricNames.filter((m) => !known(m));
  if (unknown.length > 0) return `Unknown metrics: ${unknown.join(', ')}`;
  try {
    judge.assertModelUsable(run.model ?? undefined);
  } catch (error) {
    return errorText(error);
  }
  return null;
}

/** The earlier session turns a run's custom metrics show (the most any asks), or undefined when none does. */
export function historyWanted(
  definitions: ReadonlyMap<string, MetricDefinition> | undefined,
  maxChars: number,
): HistoryWanted | undefined {
  const turns = Math.max(0, ...[...(definitions?.values() ?? [])].map((d) => d.sessionTurns ?? 0));
  return turns > 0 ? { turns, maxChars } : undefined;
}

/** Judge options of a run's evaluations: no judge call starts once the run is stopped; fault point `judge`. */
export function judgeOptionsOf(ctx: RunContext, faults: FaultInjector): EvaluateTraceOptions {
  return {
    model: ctx.run.model ?? undefined,
    projectId: ctx.run.projectId,
    signal: ctx.signal,
    budget: ctx.budget,
    judgeQuota: ctx.judgeQuota,
    definitions: ctx.definitions,
    beforeJudgeCall: () => {
      if (ctx.stopped) throw new Error(ctx.stopped);
      faults.hit('judge');
    },
  };
}

/** Why an item is abandoned (its workers kept dying on it), or null while it may still be judged. */
export function abandonedReason(item: ClaimedItem): string | null {
  return item.attempts > MAX_ITEM_ATTEMPTS
    ? `evaluation abandoned after ${item.attempts - 1} interrupted attempts`
    : null;
}
