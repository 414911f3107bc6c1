import {
  agentConsistency,
  agentReliability,
  DEFAULT_SIGNAL_WEIGHTS,
  SESSION_METRICS,
  type SessionMetricInput,
  type SessionMetricResult,
  type TraceSignals,
} from './session-metrics';

/** Scripted signals; every expected number below is worked out by hand from the §4.3 formulas. */
function session(signals: Record<string, TraceSignals>, extra: string[] = []): SessionMetricInput {
  return { traceIds: [...Object.keys(signals), ...extra], signals: new Map(Object.entries(signals)) };
}
const THREE = {
  t1: { confidence: 0.9, coherence: 0.8, loop_detection: 1.0, tool_correctness: 0.5 },
  t2: { confidence: 0.4, coherence: 0.9, loop_detection: 0.6 },
  t3: { confidence: 1.0 },
};

/** The signal risks w × (1 − s) of THREE with the default weights: alike in both metrics. */
const THREE_RISKS: Record<string, Record<string, number | null>> = {
  t1: { confidence_risk: 0.1, loop_risk: 0, tool_risk: 0.4, coherence_risk: 0.2 },
  t2: { confidence_risk: 0.6, loop_risk: 0.4, tool_risk: null, coherence_risk: 0.1 },
  t3: { confidence_risk: 0, loop_risk: null, tool_risk: null, coherence_risk: null },
};
/** The per_trace_signals of THREE: its risks, with what a metric adds per trace. */
const threeTraces = (added: Record<string, Record<string, number>>) =>
  Object.fromEntries(Object.entries(THREE_RISKS).map(([t, risks]) => [t, { ...risks, ...added[t] }]));
/** A metric's whole result on THREE with the default weights; the counts and weights every metric reports added. */
function expectOnThree(
  metric: (input: SessionMetricInput) => SessionMetricResult,
  result: { score: number; reason: string },
  metadata: Record<string, unknown>,
) {
  expect(metric(session(THREE))).toEqual({
    ...result,
    metadata: { total_traces_in_session: 3, traces_evaluated: 3, signal_weights: DEFAULT_SIGNAL_WEIGHTS, ...metadata },
  });
}

describe('agent_reliability', () => {
  it('max-composes each trace, then blends the mean of the top 15 % with the max (default weights)', () => {
    // t1: max(0.1, 0, 0.8 × 0.5, 0.2) = 0.4; t2: max(0.6, 0.4, 0.1) = 0.6 (flagged); t3: 0.
    // n = 3, k = max(1, ceil(0.45)) = 1: raw = 0.9 × 0.6 + 0.1 × 0.6 = 0.6, score 0.4.
    const result = { score: 0.4, reason: 'Elevated risk in 1 of 3 traces.' };
    expectOnThree(agentReliability, result, {
      raw_risk: 0.6,
      per_trace_signals: threeTraces({ t1: { step_risk: 0.4 }, t2: { step_risk: 0.6 }, t3: { step_risk: 0 } }),
      flagged_traces: ['t2'],
      aggregation: {
        method: 'max_compose_top_k',
        top_k_percentile: 0.15,
        ensemble_weight: 0.1,
        mean_top_k_risk: 0.6,
        max_risk: 0.6,
      },
    });
  });

  it('merges weight overrides over the defaults', () => {
    const r = agentReliability({ ...session(THREE), weights: { tool_correctness: 2, confidence: 0.5 } });
    // t1: max(0.05, 0, 2 × 0.5, 0.2) = 1.0 (flagged); t2: max(0.3, 0.4, 0.1) = 0.4; raw = 1.0 → score 0.
    expect(r.score).toBe(0);
    expect(r.reason).toBe('Elevated risk in 1 of 3 traces.');
    expect(r.metadata.signal_weights).toEqual({
      confidence: 0.5,
      loop_detection: 1,
      tool_correctness: 2,
      coherence: 1,
    });
    expect(r.metadata.flagged_traces).toEqual(['t1']);
  });

  it('takes the top k = ceil(15 % of n) risks: k = 2 for 10 traces', () => {
    const confidences = [0.1, 0.3, 1, 1, 1, 1, 1, 1, 1, 1];
    const r = agentReliability(session(Object.fromEntries(confidences.map((c, i) => [`t${i}`, { confidence: c }]))));
    // risks 0.9, 0.7, 0 × 8: mean of top 2 = 0.8; raw = 0.9 × 0.8 + 0.1 × 0.9 = 0.81 → 0.19.
    expect(r.score).toBe(0.19);
    expect(r.reason).toBe('Elevated risk in 2 of 10 traces.');
    expect(r.metadata.aggregation).toMatchObject({ mean_top_k_risk: 0.8, max_risk: 0.9 });
  });

  it('no elevated risk: the other reason', () => {
    expect(agentReliability(session({ a: { confidence: 0.9 }, b: { coherence: 0.7 } })).reason).toBe(
      'No elevated risk across 2 traces.',
    );
  });

  it('empty session rules: no traces or no signals → 1.0 empty_session; no evaluable trace → 1.0, {}', () => {
    const empty = { score: 1, reason: 'No traces or signals to evaluate.', metadata: { note: 'empty_session' } };
    expect(agentReliability(session({}))).toEqual(empty);
    expect(agentReliability({ traceIds: ['t1', 't2'], signals: new Map() })).toEqual(empty);
    expect(agentReliability(session({ t1: {} }))).toEqual({ score: 1, reason: 'No evaluable traces.', metadata: {} });
  });
});

describe('agent_consistency', () => {
  it('weighted RMS of (1 + situational penalty) × confidence risk (default weights)', () => {
    // t1: penalty 0 + 0.4 + 0.2 = 0.6, wu = 1.6 × 0.1 = 0.16; t2: penalty 0.4 + 0.1 = 0.5, wu = 1.5 × 0.6 = 0.9;
    // t3: wu 0. rms = sqrt((0.0256 + 0.81 + 0) / 3) = 0.527763 → score 0.4722.
    const result = { score: 0.4722, reason: 'High instability across 3 traces; multiple signals compound.' };
    expectOnThree(agentConsistency, result, {
      raw_instability: 0.5278,
      per_trace_signals: threeTraces({
        t1: { situational_penalty: 0.6, weighted_uncertainty: 0.16 },
        t2: { situational_penalty: 0.5, weighted_uncertainty: 0.9 },
        t3: { situational_penalty: 0, weighted_uncertainty: 0 },
      }),
      aggregation: { method: 'weighted_rms', rms_value: 0.5278 },
    });
  });

  it('merges weight overrides over the defaults', () => {
    const r = agentConsistency({ ...session(THREE), weights: { tool_correctness: 2, confidence: 0.5 } });
    // t1: penalty 1.2, wu = 2.2 × 0.5 × 0.1 = 0.11; t2: penalty 0.5, wu = 1.5 × 0.5 × 0.6 = 0.45; t3: 0.
    // rms = sqrt((0.0121 + 0.2025) / 3) = 0.267457 → 0.7325.
    expect(r.score).toBe(0.7325);
    expect(r.reason).toBe('Moderate instability detected across 3 traces.');
  });

  it('evaluates only traces with a confidence signal; none → "No evaluable traces."', () => {
    expect(agentConsistency(session({ t1: { confidence: 0.95 }, t2: { coherence: 0 } }))).toMatchObject({
      score: 0.95,
      reason: 'Consistent performance across 1 traces.',
      metadata: { total_traces_in_session: 2, traces_evaluated: 1 },
    });
    expect(agentConsistency(session({ t1: { coherence: 0.5 } }))).toEqual({
      score: 1,
      reason: 'No evaluable traces.',
      metadata: {},
    });
    expect(agentConsistency(session({}, ['t1']))).toMatchObject({ metadata: { note: 'empty_session' } });
  });
});

it('lists the two session metrics, sorted, category session', () => {
  expect(SESSION_METRICS.map((m) => [m.name, m.category])).toEqual([
    ['agent_consistency', 'session'],
    ['agent_reliability', 'session'],
  ]);
});

it('the worked example of docs/sessions.md', () => {
  const input = session({
    t1: { confidence: 0.9, coherence: 0.85, loop_detection: 1.0, tool_correctness: 1.0 },
    t2: { confidence: 0.6, coherence: 0.8, loop_detection: 0.7, tool_correctness: 0.5 },
    t3: { confidence: 0.95, coherence: 0.9, loop_detection: 0.4 },
  });
  const reliability = agentReliability(input);
  expect(reliability).toMatchObject({ score: 0.4, reason: 'Elevated risk in 1 of 3 traces.' });
  expect(reliability.metadata).toMatchObject({ raw_risk: 0.6, flagged_traces: ['t3'] });
  expect((reliability.metadata.per_trace_signals as Record<string, { step_risk: number }>).t2.step_risk).toBe(0.4);
  const consistency = agentConsistency(input);
  expect(consistency).toMatchObject({ score: 0.5535, reason: 'Moderate instability detected across 3 traces.' });
  expect(
    Object.values(consistency.metadata.per_trace_signals as Record<string, { weighted_uncertainty: number }>).map(
      (t) => t.weighted_uncertainty,
    ),
  ).toEqual([0.115, 0.76, 0.085]);
});
