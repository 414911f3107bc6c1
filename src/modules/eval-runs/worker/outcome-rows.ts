import type { MetricOutcome } from '../../metrics/metrics.types';
import type { TraceView } from '../../metrics/types/trace-view';
import { formatScoreValue } from '../../scores/format-score-value';
import type { FinishedItem, ScoreRow, ScoreToWrite } from './ledger.types';

/** Turning metric outcomes into score rows and item settlements; shared by trace and session items. */

export type FailedOutcome = Extract<MetricOutcome, { ok: false }>;

export const ZERO_USAGE: FinishedItem['usage'] = { calls: 0, input_tokens: 0, output_tokens: 0, latency_ms: 0 };

export function describe(failures: Array<Pick<FailedOutcome, 'metric' | 'error'>>): string | null {
  if (failures.length === 0) return null;
  return failures
    .map((f) => `${f.metric}: ${f.error}`)
    .join('; ')
    .slice(0, 4000);
}

/** `failurePrefix` opens a failed score's reason ("Metric execution failed", "Signal computation failed"). */
export function toScoreWrite(
  o: MetricOutcome,
  trace: Pick<TraceView, 'trace_id' | 'environment'>,
  failurePrefix?: string,
): ScoreToWrite {
  return { ...toScoreRow(o, failurePrefix), traceId: trace.trace_id, environment: trace.environment };
}

export function toScoreRow(o: MetricOutcome, failurePrefix = 'Metric execution failed'): ScoreRow {
  const judge_usage = o.usage;
  if (o.ok) {
    return {
      name: o.metric,
      value: o.value ?? formatScoreValue(o.score),
      dataType: o.dataType,
      status: 'SUCCESS',
      reason: o.reason,
      metadata: { ...o.metadata, judge_usage, ...version(o) },
      transcript: o.transcript,
    };
  }
  return {
    name: o.metric,
    value: null,
    dataType: o.dataType,
    status: 'FAILED',
    reason: `${failurePrefix}: ${o.error}`,
    metadata: { judge_usage, ...version(o) },
    transcript: o.transcript,
  };
}

/** The metric version a score records (`metadata.metric_version`; scores filter by it). */
const version = (o: MetricOutcome) => (o.version === undefined ? {} : { metric_version: o.version });

/** Unreported token counts (null) stay out of the sums and are counted instead. */
export function sumUsage(outcomes: MetricOutcome[]): FinishedItem['usage'] {
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

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
