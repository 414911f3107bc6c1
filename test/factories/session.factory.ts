import type { Tenant } from '../support/tenancy';
import type { TestApp } from '../support/test-app';
import { at, buildTraceTree, TracePayload } from './trace.factory';

/** One trace of a session, placed by its offset from the factories' base instant. */
export interface SessionTraceSpec {
  offsetMs: number;
  /** null: a trace that has not ended. Default 1000 ms. */
  durationMs?: number | null;
  userId?: string;
  tags?: string[];
  status?: 'COMPLETED' | 'ERROR' | 'RUNNING' | 'PENDING';
  /**
   * Spans of a buildTraceTree: an AGENT root without usage listed AFTER its children (child before
   * parent, as SDKs send them); each child has 15 tokens and costs 0.0015. Default 3.
   */
  spans?: number;
}

/** The traces of one session as POST /traces bodies. */
export function buildSessionTraces(sessionId: string, specs: SessionTraceSpec[]): TracePayload[] {
  return specs.map((s) => {
    const duration = s.durationMs === undefined ? 1000 : s.durationMs;
    return buildTraceTree(s.spans ?? 3, {
      session_id: sessionId,
      started_at: at(s.offsetMs),
      ended_at: duration === null ? undefined : at(s.offsetMs + duration),
      status: s.status ?? 'COMPLETED',
      ...(s.userId ? { user_id: s.userId } : {}),
      tags: s.tags ?? [],
    });
  });
}

/** Ingests a session's traces through the API; returns them in the order of `specs`. */
export async function ingestSession(
  t: TestApp,
  tenant: Pick<Tenant, 'headers'>,
  sessionId: string,
  specs: SessionTraceSpec[],
): Promise<TracePayload[]> {
  const traces = buildSessionTraces(sessionId, specs);
  for (const trace of traces) {
    const res = await t.http.post('/traces').set(tenant.headers).send(trace);
    if (res.status !== 202) throw new Error(`ingest failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return traces;
}
