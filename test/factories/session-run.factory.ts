import type { DataSource } from 'typeorm';
import {
  agentConsistency,
  agentReliability,
  type TraceSignals,
} from '../../src/modules/metrics/session/session-metrics';
import type { TestApp } from '../support/test-app';
import type { Tenant } from '../support/tenancy';
import { buildTraceTree, type TracePayload } from './trace.factory';

export const SESSION_RUNS = '/evaluations/session-runs';

/**
 * A session of `n` traces sent through the API: each trace a span tree listed child-before-parent
 * (as SDKs send them), started one minute after the previous one, with distinct inputs and outputs.
 */
export async function ingestSession(
  t: TestApp,
  tenant: Tenant,
  sessionId: string,
  n: number,
  overrides: (i: number) => Partial<TracePayload> = () => ({}),
  startAt = '2026-02-01T10:00:00Z',
): Promise<TracePayload[]> {
  const traces: TracePayload[] = [];
  for (let i = 0; i < n; i++) {
    const started = new Date(Date.parse(startAt) + i * 60_000);
    const trace = buildTraceTree(3, {
      name: `${sessionId}-turn-${i}`,
      session_id: sessionId,
      input: `question ${i} of ${sessionId}`,
      output: `answer ${i} of ${sessionId}`,
      started_at: started.toISOString(),
      ended_at: new Date(started.getTime() + 1000).toISOString(),
      ...overrides(i),
    });
    const res = await t.http.post('/traces').set(tenant.headers).send(trace);
    if (res.status !== 202) throw new Error(`ingest failed: ${res.status} ${JSON.stringify(res.body)}`);
    traces.push(trace);
  }
  return traces;
}

/**
 * What the session metrics must be, recomputed with the pure functions from the signals stored
 * for the session's traces: this run's own signal scores, else the reused ones named in the score's metadata.
 */
export async function expectedSessionScores(
  ds: DataSource,
  projectId: string,
  runId: string,
  sessionId: string,
  weights: Record<string, number> | null = null,
): Promise<Record<string, number>> {
  const traces: { trace_id: string }[] = await ds.query(
    `SELECT trace_id FROM traces WHERE project_id = $1 AND session_id = $2 ORDER BY started_at, trace_id`,
    [projectId, sessionId],
  );
  const rows: { trace_id: string; name: string; value: string }[] = await ds.query(
    `SELECT DISTINCT ON (trace_id, name) trace_id, name, value FROM trace_scores
     WHERE project_id = $1 AND trace_id = ANY($2::uuid[]) AND status = 'SUCCESS' AND source = 'AUTOMATED'
       AND name IN ('confidence', 'coherence', 'loop_detection', 'tool_correctness')
       AND (eval_run_id = $3 OR created_at < (SELECT created_at FROM eval_runs WHERE id = $3))
     ORDER BY trace_id, name, (eval_run_id IS NOT DISTINCT FROM $3::uuid) DESC, created_at DESC`,
    [projectId, traces.map((x) => x.trace_id), runId],
  );
  const signals = new Map<string, TraceSignals>();
  for (const r of rows) {
    if (!signals.has(r.trace_id)) signals.set(r.trace_id, {});
    (signals.get(r.trace_id) as Record<string, number>)[r.name] = Number(r.value);
  }
  const input = { traceIds: traces.map((x) => x.trace_id), signals, weights };
  return {
    agent_reliability: agentReliability(input).score,
    agent_consistency: agentConsistency(input).score,
  };
}

/** The session ids a session run selected, read from its ledger (sorted). */
export async function runSessionIds(ds: DataSource, runId: string): Promise<string[]> {
  const rows: { session_id: string }[] = await ds.query(
    `SELECT session_id FROM eval_run_items WHERE run_id = $1 ORDER BY session_id`,
    [runId],
  );
  return rows.map((r) => r.session_id);
}
