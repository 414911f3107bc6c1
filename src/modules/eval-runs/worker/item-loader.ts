import type { DataSource } from 'typeorm';
import type { SpanView, TraceView } from '../../metrics/types/trace-view';
import {
  EXISTING_SIGNALS_SQL,
  SCORED_SESSION_METRICS_SQL,
  SCORED_TRACE_METRICS_SQL,
  SPANS_OF_TRACES_SQL,
  TRACE_COLUMNS,
} from './item-loading.sql';
import type { ExecutableRun, ExistingSignal, SessionBatch, TraceBatch } from './ledger.types';

interface TraceRow {
  trace_id: string;
  name: string;
  status: string;
  input: unknown;
  output: unknown;
  metadata: Record<string, unknown> | null;
  session_id: string | null;
  user_id: string | null;
  tags: string[] | null;
  environment: string | null;
  started_at: Date;
  ended_at: Date | null;
}

/** A span row as read: SpanView's columns before rendering, with its trace. */
type SpanRow = Omit<SpanView, 'metadata' | 'started_at' | 'ended_at'> & {
  trace_id: string;
  metadata: Record<string, unknown> | null;
  started_at: Date;
  ended_at: Date | null;
};

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/** key → the set of names each key has: `scored` maps of a batch. */
function namesByKey<R extends { name: string }>(rows: R[], key: (r: R) => string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const k = key(r);
    if (!out.has(k)) out.set(k, new Set());
    out.get(k)!.add(r.name);
  }
  return out;
}

/** Loads what a claimed batch of a run is judged from, in a few statements for the whole batch. */
export class ItemLoader {
  constructor(private readonly ds: DataSource) {}

  /**
   * Loads the claimed traces of the run's project with their spans (two queries for the whole
   * batch), and the metric names each already has a score for in this run (a re-delivered item).
   */
  async loadBatch(run: ExecutableRun, traceIds: string[]): Promise<TraceBatch> {
    const [traceList, scoreRows] = await Promise.all([
      this.loadTraces(`project_id = $1 AND trace_id = ANY($2::uuid[])`, [run.projectId, traceIds]),
      this.ds.query(SCORED_TRACE_METRICS_SQL, [run.id, traceIds]) as Promise<{ trace_id: string; name: string }[]>,
    ]);
    return {
      traces: new Map(traceList.map((t) => [t.trace_id, t])),
      scored: namesByKey(scoreRows, (r) => r.trace_id),
    };
  }

  /**
   * Loads a batch of session items: every trace of each session in the run's project (oldest first,
   * with spans), the signals each trace already has (this run's own, SUCCESS or FAILED, first; else
   * the newest SUCCESS automated numeric score of that name in the project judged by the model the
   * run would judge that signal with, reused), and the session
   * metrics already scored in this run (a re-delivered item). Four queries for the whole batch.
   */
  async loadSessionBatch(
    run: ExecutableRun,
    sessionIds: string[],
    signals: ReadonlyArray<{ name: string; model: string }>,
  ): Promise<SessionBatch> {
    const [traceList, scoredRows] = await Promise.all([
      this.loadTraces(`project_id = $1 AND session_id = ANY($2::varchar[])`, [run.projectId, sessionIds]),
      this.ds.query(SCORED_SESSION_METRICS_SQL, [run.id, sessionIds]) as Promise<{ session_id: string; name: string }[]>,
    ]);
    const sessions = new Map<string, TraceView[]>();
    for (const t of traceList) {
      if (!sessions.has(t.session_id!)) sessions.set(t.session_id!, []);
      sessions.get(t.session_id!)!.push(t);
    }
    const existing = new Map<string, Map<string, ExistingSignal>>();
    if (traceList.length > 0) {
      const rows: Array<{
        trace_id: string;
        name: string;
        id: string;
        eval_run_id: string | null;
        status: string;
        value: string | null;
      }> = await this.ds.query(EXISTING_SIGNALS_SQL, [
        run.projectId,
        traceList.map((t) => t.trace_id),
        signals.map((s) => s.name),
        run.id,
        signals.map((s) => s.model),
      ]);
      for (const r of rows) {
        if (!existing.has(r.trace_id)) existing.set(r.trace_id, new Map());
        existing.get(r.trace_id)!.set(r.name, {
          scoreId: r.id,
          evalRunId: r.eval_run_id,
          value: r.status === 'SUCCESS' && r.value !== null ? Number(r.value) : null,
        });
      }
    }
    return { sessions, signals: existing, scored: namesByKey(scoredRows, (r) => r.session_id) };
  }

  /** Traces matching a condition on `traces`, oldest first, with their spans: two queries. */
  private async loadTraces(where: string, params: unknown[]): Promise<TraceView[]> {
    const traceRows: TraceRow[] = await this.ds.query(
      `SELECT ${TRACE_COLUMNS} FROM traces WHERE ${where} ORDER BY started_at, trace_id`,
      params,
    );
    const traces = new Map<string, TraceView>();
    for (const t of traceRows) {
      traces.set(t.trace_id, {
        ...t,
        metadata: t.metadata ?? {},
        tags: t.tags ?? [],
        started_at: iso(t.started_at)!,
        ended_at: iso(t.ended_at),
        spans: [],
      });
    }
    if (traces.size === 0) return [];
    const spanRows: SpanRow[] = await this.ds.query(SPANS_OF_TRACES_SQL, [[...traces.keys()]]);
    for (const { trace_id, ...s } of spanRows) {
      traces.get(trace_id)?.spans.push({
        ...s,
        metadata: s.metadata ?? {},
        started_at: iso(s.started_at)!,
        ended_at: iso(s.ended_at),
      });
    }
    return [...traces.values()];
  }
}
