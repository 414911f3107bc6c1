import type { RunScoreStore } from '../../scores/run-scores.store';
import type { SessionTurn, TraceView, TracesForJudging } from '../../traces/traces-for-judging';
import type { ClaimedItem, ExecutableRun, HistoryWanted, SessionBatch, TraceBatch } from './ledger.types';

/**
 * Loads what a claimed batch of a run is judged from, in a few statements for the whole batch,
 * through the owners' ports: traces with their spans from the traces module, what this run already
 * scored (and a session run's reusable signals) from the scores module.
 */
export class ItemLoader {
  constructor(
    private readonly traces: TracesForJudging,
    private readonly scores: RunScoreStore,
  ) {}

  /**
   * What each claimed item weighs loaded (traces.size_bytes; a session item: all its session's
   * traces), in `items`' order; 0 for a trace gone since. One statement.
   */
  async itemBytes(run: ExecutableRun, items: ClaimedItem[]): Promise<number[]> {
    if (run.targetType === 'SESSION') {
      const bytes = await this.traces.bytesOfSessions(run.projectId, [...new Set(items.map((i) => i.sessionId!))]);
      return items.map((i) => bytes.get(i.sessionId!) ?? 0);
    }
    const bytes = await this.traces.bytesOfTraces(
      run.projectId,
      items.map((i) => i.traceId),
    );
    return items.map((i) => bytes.get(i.traceId) ?? 0);
  }

  /**
   * Loads the claimed traces of the run's project with their spans (two queries for the whole
   * batch), and the metric names each already has a score for in this run (a re-delivered item).
   * When the run's custom metrics show `{{session_history}}`, also each trace's earlier session
   * turns: one more query for the whole batch, bounded by `history` (turns and characters per value).
   * `abandonedIds` (items to fail unloaded) get their scored names and environment only.
   */
  async loadBatch(
    run: ExecutableRun,
    traceIds: string[],
    history?: HistoryWanted,
    abandonedIds: string[] = [],
  ): Promise<TraceBatch> {
    const [traceList, scored, turns, abandoned] = await Promise.all([
      traceIds.length > 0 ? this.traces.byIds(run.projectId, traceIds) : [],
      this.scores.scoredNames('trace', run.id, [...traceIds, ...abandonedIds]),
      history?.turns && traceIds.length > 0
        ? this.traces.earlierTurns(run.projectId, traceIds, history.turns, history.maxChars)
        : new Map<string, SessionTurn[]>(),
      abandonedIds.length > 0 ? this.traces.environmentsOf(run.projectId, abandonedIds) : new Map<string, null>(),
    ]);
    return { traces: new Map(traceList.map((t) => [t.trace_id, t])), scored, history: turns, abandoned };
  }

  /**
   * Loads a batch of session items: every trace of each session in the run's project (oldest first,
   * with spans), the signals each trace already has (this run's own, SUCCESS or FAILED, first; else
   * the newest SUCCESS automated numeric score of that name in the project judged by the model the
   * run would judge that signal with, reused), and the session
   * metrics already scored in this run (a re-delivered item). Four queries for the whole batch.
   * `abandonedIds` (sessions to fail unloaded) get their scored names and environment only.
   */
  async loadSessionBatch(
    run: ExecutableRun,
    sessionIds: string[],
    signals: ReadonlyArray<{ name: string; model: string }>,
    abandonedIds: string[] = [],
  ): Promise<SessionBatch> {
    const [traceList, scored, abandoned] = await Promise.all([
      sessionIds.length > 0 ? this.traces.bySessions(run.projectId, sessionIds) : [],
      this.scores.scoredNames('session', run.id, [...sessionIds, ...abandonedIds]),
      abandonedIds.length > 0
        ? this.traces.sessionEnvironmentsOf(run.projectId, abandonedIds)
        : new Map<string, null>(),
    ]);
    const sessions = new Map<string, TraceView[]>();
    for (const t of traceList) {
      if (!sessions.has(t.session_id!)) sessions.set(t.session_id!, []);
      sessions.get(t.session_id!)!.push(t);
    }
    const existing = await this.scores.existingSignals(
      run.projectId,
      run.id,
      traceList.map((t) => t.trace_id),
      signals,
    );
    return { sessions, signals: existing, scored, abandoned };
  }
}
