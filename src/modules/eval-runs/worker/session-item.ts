import type { MetricOutcome } from '../../metrics/metrics.types';
import {
  SESSION_SIGNALS,
  sessionMetric,
  type SessionSignal,
  type TraceSignals,
} from '../../metrics/session/session-metrics';
import type { TraceView } from '../../metrics/types/trace-view';
import { formatScoreValue } from '../../scores/format-score-value';
import type {
  ClaimedItem,
  ExecutableRun,
  FinishedItem,
  ScoreToWrite,
  SessionBatch,
  SessionScoreToWrite,
} from './ledger.types';
import type { ItemDeps } from './run-context';
import { describe, errorText, sumUsage, toScoreWrite, type FailedOutcome } from './outcome-rows';

/**
 * Traces of one session whose signals are computed at once: a long session must not put hundreds
 * of prompts in flight from one slot (the judge limiter bounds provider calls, not memory).
 */
export const TRACES_AT_ONCE = 8;

/** What evaluating one session item produced: its signals (trace scores), session scores and settlement. */
export interface SessionItemResult {
  finished: FinishedItem;
  signals: ScoreToWrite[];
  sessionScores: SessionScoreToWrite[];
}

/**
 * One session of a SESSION run. Per trace (TRACES_AT_ONCE at a time), the four signals are taken from the scores the trace
 * already has (this run's own from an earlier attempt, else the newest SUCCESS automated score of
 * that name, reused) or computed with our trace metrics, loop_detection being given the earlier
 * traces of the session; the new ones are written as trace scores of this run. Then each wanted
 * session metric aggregates them. An interrupted signal (cancel, shutdown) sends the item back
 * with its finished signals kept and no session score.
 */
export async function evaluateSessionItem(
  run: ExecutableRun,
  item: ClaimedItem,
  batch: SessionBatch,
  deps: ItemDeps,
): Promise<SessionItemResult> {
  const sessionId = item.sessionId!;
  const traces = batch.sessions.get(sessionId) ?? [];
  const wanted = item.metricNames ?? run.metricNames;
  const already = batch.scored.get(sessionId);
  const todo = already ? wanted.filter((m) => !already.has(m)) : wanted;
  const done = (lastError: string | null, outcomes: MetricOutcome[] = []): FinishedItem => ({
    traceId: item.traceId,
    kind: 'done',
    lastError,
    usage: sumUsage(outcomes),
  });
  // An abandoned item was not loaded: only its environment (its oldest trace's) was read.
  const exists = deps.abandoned ? batch.abandoned.has(sessionId) : traces.length > 0;
  if (!exists) {
    return {
      finished: done(`Session ${sessionId} has no traces in this project any more; nothing was scored.`),
      signals: [],
      sessionScores: [],
    };
  }
  if (todo.length === 0) return { finished: done(null), signals: [], sessionScores: [] };
  if (deps.abandoned) {
    const environment = batch.abandoned.get(sessionId)!;
    const failed = todo.map((name) => failedSessionScore(sessionId, name, deps.abandoned!, environment));
    return { finished: done(describe(failed.map(asFailure))), signals: [], sessionScores: failed };
  }
  const environment = traces[0].environment;

  const outcomes = await mapBounded(
    traces,
    TRACES_AT_ONCE,
    async (trace, i): Promise<Array<{ trace: TraceView; outcome: MetricOutcome }>> => {
      const has = batch.signals.get(trace.trace_id);
      const missing = SESSION_SIGNALS.filter((s) => !has?.has(s));
      if (missing.length === 0) return [];
      const results = await deps.metrics.evaluateTrace(trace, missing, {
        ...deps.judgeOptions,
        sessionTraces: traces.slice(0, i),
      });
      return results.map((outcome) => ({ trace, outcome }));
    },
  ).then((lists) => lists.flat());

  const unfinished = outcomes.filter(({ outcome: o }) => !o.ok && (o.interrupted || deps.stopping()));
  const kept = outcomes.filter((o) => !unfinished.includes(o));
  const signals = kept.map(({ trace, outcome }) => toScoreWrite(outcome, trace, 'Signal computation failed'));
  const usage = sumUsage(outcomes.map((o) => o.outcome));
  if (unfinished.length > 0) {
    return {
      finished: {
        traceId: item.traceId,
        kind: 'release',
        lastError: `unfinished, given back: ${describe(unfinished.map((u) => u.outcome as FailedOutcome))}`,
        usage,
        unfinished: todo,
      },
      signals,
      sessionScores: [],
    };
  }

  const { values, provenance } = collectSignals(run, traces, batch, kept);
  const sessionScores = todo.map((name): SessionScoreToWrite => {
    const def = sessionMetric(name);
    try {
      if (!def) throw new Error(`Unknown session metric: ${name}`);
      const result = def.evaluate({
        traceIds: traces.map((t) => t.trace_id),
        signals: values,
        weights: run.signalWeights as Partial<Record<SessionSignal, number>> | null,
      });
      return {
        sessionId,
        environment,
        name,
        value: formatScoreValue(result.score),
        status: 'SUCCESS',
        reason: result.reason,
        metadata: { ...result.metadata, signals: provenance },
      };
    } catch (error) {
      return failedSessionScore(sessionId, name, errorText(error), environment);
    }
  });
  const failures = sessionScores.filter((s) => s.status === 'FAILED').map(asFailure);
  return { finished: { ...done(describe(failures)), usage }, signals, sessionScores };
}

/**
 * The signal values per trace, and where they came from: `computed` by this run (now or in an
 * earlier attempt), `reused` from earlier scores (named, so a reader can find them), `failed`.
 */
function collectSignals(
  run: ExecutableRun,
  traces: TraceView[],
  batch: SessionBatch,
  kept: Array<{ trace: TraceView; outcome: MetricOutcome }>,
) {
  const values = new Map<string, TraceSignals>();
  const reused: Array<{ trace_id: string; name: string; score_id: string; eval_run_id: string | null }> = [];
  const failed: Array<{ trace_id: string; name: string }> = [];
  let computed = 0;
  const set = (traceId: string, name: string, value: number) => {
    if (!values.has(traceId)) values.set(traceId, {});
    values.get(traceId)![name as SessionSignal] = value;
  };
  for (const trace of traces) {
    for (const [name, s] of batch.signals.get(trace.trace_id) ?? []) {
      if (s.value === null) failed.push({ trace_id: trace.trace_id, name });
      else set(trace.trace_id, name, s.value);
      if (s.evalRunId === run.id) computed += s.value === null ? 0 : 1;
      else reused.push({ trace_id: trace.trace_id, name, score_id: s.scoreId, eval_run_id: s.evalRunId });
    }
  }
  for (const { trace, outcome } of kept) {
    if (outcome.ok) {
      // The stored (rounded) value, so a recomputation from the stored signals gives the same session score.
      set(trace.trace_id, outcome.metric, Number(formatScoreValue(outcome.score)));
      computed += 1;
    } else failed.push({ trace_id: trace.trace_id, name: outcome.metric });
  }
  return { values, provenance: { computed, reused, failed } };
}

function failedSessionScore(
  sessionId: string,
  name: string,
  error: string,
  environment: string | null,
): SessionScoreToWrite {
  return {
    sessionId,
    environment,
    name,
    value: null,
    status: 'FAILED',
    reason: `Session metric failed: ${error}`,
    metadata: {},
  };
}

const asFailure = (s: SessionScoreToWrite) => ({ metric: s.name, error: s.reason ?? '' });

/** `fn` over `items` with at most `limit` running at once; results in input order. */
export async function mapBounded<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
