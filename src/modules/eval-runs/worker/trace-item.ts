import type { MetricOutcome } from '../../metrics/metrics.types';
import type { TraceView } from '../../metrics/types/trace-view';
import type { ClaimedItem, ExecutableRun, FinishedItem, ScoreToWrite, TraceBatch } from './ledger.types';
import type { ItemDeps } from './run-context';
import { describe, sumUsage, toScoreWrite, ZERO_USAGE, type FailedOutcome } from './outcome-rows';

/** What evaluating one trace item produced: its scores and settlement, and how long judging took. */
export interface TraceItemResult {
  finished: FinishedItem;
  scores: ScoreToWrite[];
  /** Present when a result was kept: whether any kept metric failed, and the milliseconds it took. */
  timed: { failed: boolean; ms: number } | null;
}

/**
 * One trace of a TRACE run: the wanted metrics this run has not scored yet are judged; a trace
 * deleted since the run was created finishes with the reason and no score. A metric interrupted
 * (cancel, shutdown) sends the item back with the finished metrics kept.
 */
export async function evaluateTraceItem(
  run: ExecutableRun,
  item: ClaimedItem,
  batch: TraceBatch,
  deps: ItemDeps,
): Promise<TraceItemResult> {
  const trace = batch.traces.get(item.traceId);
  // An abandoned item was not loaded: its environment is all its failed scores need.
  const head = deps.abandoned ? abandonedHead(batch, item.traceId) : trace;
  const wanted = item.metricNames ?? run.metricNames;
  if (!head) {
    // Deleted (or moved) since the run was created: finished, with the reason on the item, no score.
    return {
      finished: {
        traceId: item.traceId,
        kind: 'done',
        lastError: `Trace ${item.traceId} no longer exists in this project; nothing was scored.`,
        usage: ZERO_USAGE,
        skipped: wanted,
      },
      scores: [],
      timed: null,
    };
  }
  const already = batch.scored.get(item.traceId);
  const todo = already ? wanted.filter((m) => !already.has(m)) : wanted;

  const started = Date.now();
  let outcomes: MetricOutcome[];
  if (deps.abandoned) {
    const error = deps.abandoned;
    outcomes = todo.map((metric) => ({ metric, ok: false, error, usage: { model: run.model ?? '', ...ZERO_USAGE } }));
  } else if (todo.length === 0) {
    outcomes = [];
  } else {
    const sessionHistory = batch.history.get(item.traceId) ?? [];
    outcomes = await deps.metrics.evaluateTrace(trace!, todo, { ...deps.judgeOptions, sessionHistory });
  }
  // A metric is unfinished when it was interrupted, or failed while this process was stopping
  // (the failure may be the shutdown itself): only those go back; finished results are kept.
  const unfinished = outcomes.filter((o): o is FailedOutcome => !o.ok && (o.interrupted || deps.stopping()));
  const kept = outcomes.filter((o) => !(unfinished as MetricOutcome[]).includes(o));
  const failures = kept.filter((o): o is FailedOutcome => !o.ok);
  const timed = kept.length > 0 ? { failed: failures.length > 0, ms: Date.now() - started } : null;
  const finished: FinishedItem =
    unfinished.length === 0
      ? { traceId: item.traceId, kind: 'done', lastError: describe(failures), usage: sumUsage(outcomes) }
      : {
          traceId: item.traceId,
          kind: 'release',
          lastError: `unfinished, given back: ${describe(unfinished)}`,
          usage: sumUsage(outcomes),
          unfinished: unfinished.map((o) => o.metric),
        };
  return { finished, scores: kept.map((o) => toScoreWrite(o, head)), timed };
}

/** What an abandoned trace item's scores carry, read without loading it; undefined for a trace gone since. */
function abandonedHead(batch: TraceBatch, traceId: string): Pick<TraceView, 'trace_id' | 'environment'> | undefined {
  return batch.abandoned.has(traceId) ? { trace_id: traceId, environment: batch.abandoned.get(traceId)! } : undefined;
}
