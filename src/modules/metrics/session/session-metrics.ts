import { clamp01, DEFAULT_THRESHOLD, round4 } from '../metric-definition';

/**
 * Session metrics: pure aggregations of per-trace signals (no judge call). Formulas as PandaProbe's
 * (reference §4.3); the signals themselves are trace metrics computed (or reused) by session runs.
 */

/** The per-trace signals a session metric reads, in the order they are computed. */
export const SESSION_SIGNALS = ['confidence', 'coherence', 'loop_detection', 'tool_correctness'] as const;
export type SessionSignal = (typeof SESSION_SIGNALS)[number];

export const DEFAULT_SIGNAL_WEIGHTS: Readonly<Record<SessionSignal, number>> = {
  confidence: 1.0,
  loop_detection: 1.0,
  tool_correctness: 0.8,
  coherence: 1.0,
};

/** The signal values of one trace (only the signals that succeeded). */
export type TraceSignals = Partial<Record<SessionSignal, number>>;

export interface SessionMetricInput {
  /** Every trace of the session, oldest first. */
  traceIds: readonly string[];
  /** trace id → its signals; traces with no successful signal may be absent. */
  signals: ReadonlyMap<string, TraceSignals>;
  /** Overrides merged over DEFAULT_SIGNAL_WEIGHTS. */
  weights?: Partial<Record<SessionSignal, number>> | null;
}

export interface SessionMetricResult {
  score: number;
  reason: string;
  metadata: Record<string, unknown>;
}

export interface SessionMetricDefinition {
  name: string;
  description: string;
  category: 'session';
  defaultThreshold: number;
  evaluate(input: SessionMetricInput): SessionMetricResult;
}

export function mergeWeights(overrides?: Partial<Record<SessionSignal, number>> | null): Record<SessionSignal, number> {
  return { ...DEFAULT_SIGNAL_WEIGHTS, ...(overrides ?? {}) };
}

const EMPTY_SESSION: SessionMetricResult = {
  score: 1,
  reason: 'No traces or signals to evaluate.',
  metadata: { note: 'empty_session' },
};
const NOTHING_EVALUABLE: SessionMetricResult = { score: 1, reason: 'No evaluable traces.', metadata: {} };

/** w × (1 − s), or null when the signal is absent. */
const risk = (w: number, s: number | undefined): number | null => (s === undefined ? null : w * (1 - s));
const r4 = (n: number | null): number | null => (n === null ? null : round4(n));

const TOP_K_PERCENTILE = 0.15;
const ENSEMBLE_WEIGHT = 0.1;

/** Worst-case risk: per trace the largest weighted signal risk, then the mean of the top 15 % blended with the max. */
export function agentReliability(input: SessionMetricInput): SessionMetricResult {
  if (input.traceIds.length === 0 || input.signals.size === 0) return EMPTY_SESSION;
  const w = mergeWeights(input.weights);
  const perTrace: Record<string, Record<string, number | null>> = {};
  const risks: number[] = [];
  const flagged: string[] = [];
  for (const tid of input.traceIds) {
    const s = input.signals.get(tid);
    if (!s) continue;
    const components = {
      confidence_risk: risk(w.confidence, s.confidence),
      loop_risk: risk(w.loop_detection, s.loop_detection),
      tool_risk: risk(w.tool_correctness, s.tool_correctness),
      coherence_risk: risk(w.coherence, s.coherence),
    };
    const present = Object.values(components).filter((v): v is number => v !== null);
    if (present.length === 0) continue;
    const stepRisk = Math.max(...present);
    if (stepRisk > 0.5) flagged.push(tid);
    risks.push(stepRisk);
    perTrace[tid] = {
      confidence_risk: r4(components.confidence_risk),
      loop_risk: r4(components.loop_risk),
      tool_risk: r4(components.tool_risk),
      coherence_risk: r4(components.coherence_risk),
      step_risk: round4(stepRisk),
    };
  }
  const n = risks.length;
  if (n === 0) return NOTHING_EVALUABLE;
  const sorted = [...risks].sort((a, b) => b - a);
  const k = Math.max(1, Math.ceil(n * TOP_K_PERCENTILE));
  const meanTopK = sorted.slice(0, k).reduce((a, b) => a + b, 0) / k;
  const maxRisk = sorted[0];
  const rawRisk = (1 - ENSEMBLE_WEIGHT) * meanTopK + ENSEMBLE_WEIGHT * maxRisk;
  const score = round4(clamp01(1 - rawRisk));
  return {
    score,
    reason:
      flagged.length === 0
        ? `No elevated risk across ${n} traces.`
        : `Elevated risk in ${flagged.length} of ${n} traces.`,
    metadata: {
      total_traces_in_session: input.traceIds.length,
      traces_evaluated: n,
      raw_risk: round4(rawRisk),
      signal_weights: w,
      per_trace_signals: perTrace,
      flagged_traces: flagged,
      aggregation: {
        method: 'max_compose_top_k',
        top_k_percentile: TOP_K_PERCENTILE,
        ensemble_weight: ENSEMBLE_WEIGHT,
        mean_top_k_risk: round4(meanTopK),
        max_risk: round4(maxRisk),
      },
    },
  };
}

/** Overall stability: weighted RMS of (1 + situational penalty) × weighted confidence risk, over traces with a confidence signal. */
export function agentConsistency(input: SessionMetricInput): SessionMetricResult {
  if (input.traceIds.length === 0 || input.signals.size === 0) return EMPTY_SESSION;
  const w = mergeWeights(input.weights);
  const perTrace: Record<string, Record<string, number | null>> = {};
  const squares: number[] = [];
  for (const tid of input.traceIds) {
    const s = input.signals.get(tid);
    if (!s || s.confidence === undefined) continue;
    const confRisk = 1 - s.confidence;
    const loop = risk(w.loop_detection, s.loop_detection);
    const tool = risk(w.tool_correctness, s.tool_correctness);
    const coherence = risk(w.coherence, s.coherence);
    const penalty = (loop ?? 0) + (tool ?? 0) + (coherence ?? 0);
    const wu = (1 + penalty) * w.confidence * confRisk;
    squares.push(wu * wu);
    perTrace[tid] = {
      confidence_risk: round4(confRisk),
      loop_risk: r4(loop),
      tool_risk: r4(tool),
      coherence_risk: r4(coherence),
      situational_penalty: round4(penalty),
      weighted_uncertainty: round4(wu),
    };
  }
  const n = squares.length;
  if (n === 0) return NOTHING_EVALUABLE;
  const rms = Math.sqrt(squares.reduce((a, b) => a + b, 0) / n);
  const score = round4(clamp01(1 - rms));
  const reason =
    score >= 0.8
      ? `Consistent performance across ${n} traces.`
      : score >= 0.5
        ? `Moderate instability detected across ${n} traces.`
        : `High instability across ${n} traces; multiple signals compound.`;
  return {
    score,
    reason,
    metadata: {
      total_traces_in_session: input.traceIds.length,
      traces_evaluated: n,
      raw_instability: round4(rms),
      signal_weights: w,
      per_trace_signals: perTrace,
      aggregation: { method: 'weighted_rms', rms_value: round4(rms) },
    },
  };
}

/** The session metrics, sorted by name: what GET /evaluations/session-metrics lists. */
export const SESSION_METRICS: readonly SessionMetricDefinition[] = [
  {
    name: 'agent_consistency',
    description:
      'Overall stability across a session: a weighted RMS of per-trace uncertainty, where low confidence is amplified by loops, tool errors and incoherence.',
    category: 'session',
    defaultThreshold: DEFAULT_THRESHOLD,
    evaluate: agentConsistency,
  },
  {
    name: 'agent_reliability',
    description:
      'Worst-case failure risk across a session: each trace takes its riskiest signal, and the most problematic traces (top 15 %) dominate the score.',
    category: 'session',
    defaultThreshold: DEFAULT_THRESHOLD,
    evaluate: agentReliability,
  },
];

export function sessionMetric(name: string): SessionMetricDefinition | undefined {
  return SESSION_METRICS.find((m) => m.name === name);
}
