import type { AutomatedScore, ExistingSignal } from '../../scores/run-scores.store';
import type { JudgeAttempt } from '../../judge/judge.types';
import type { SessionTurn, TraceView } from '../../metrics/types/trace-view';

export type { ExistingSignal } from '../../scores/run-scores.store';

/** The shapes the worker's ledger statements take and give: runs, claimed items, scores, settlements. */

/** What a worker needs of a run. */
export interface ExecutableRun {
  id: string;
  projectId: string;
  /** TRACE or SESSION. */
  targetType: string;
  /** A session run's signal weight overrides (`filters.signal_weights`). */
  signalWeights: Record<string, number> | null;
  metricNames: string[];
  model: string | null;
  status: string;
  maxJudgeCalls: number | null;
  maxJudgeTokens: number | null;
  /** When the run was created: it judges custom metrics with the versions current then (its pin). */
  createdAt: Date;
}

/** A claimed ledger item. */
export interface ClaimedItem {
  /** The item key: the trace, or for a session item `session_item_key(sessionId)`. */
  traceId: string;
  /** A session run's target; null for a trace item. */
  sessionId: string | null;
  /** null: the run's metrics. */
  metricNames: string[] | null;
  /** Claims so far, this one included. */
  attempts: number;
}

/** A run's status and the open items of one of its slices. */
export interface SliceState {
  status: string;
  /** Items of the slice not DONE. */
  open: number;
  /** Items of the slice in the ledger. */
  total: number;
}

/** A score about to be written: the scores module's automated score, with its judge attempts. */
export interface ScoreRow extends Omit<AutomatedScore, 'environment'> {
  /** The judge's attempts behind the score (kept when the project keeps transcripts). */
  transcript?: JudgeAttempt[];
}

/** A score about to be written for a trace (with the trace's environment, copied to the score). */
export interface ScoreToWrite extends ScoreRow {
  traceId: string;
  environment: string | null;
}

/** A session score about to be written. */
export interface SessionScoreToWrite extends ScoreRow {
  sessionId: string;
  environment: string | null;
}

export interface FinishedItem {
  traceId: string;
  /** done: finished and counted; release: its unfinished metrics go back (PENDING again). */
  kind: 'done' | 'release';
  lastError: string | null;
  /** Token sums cover the known counts only; `unknown_usage` counts the metrics whose counts were unreported. */
  usage: { calls: number; input_tokens: number; output_tokens: number; latency_ms: number; unknown_usage?: number };
  /** For the operator counters: metrics skipped (the trace is gone) or given back unfinished. */
  skipped?: string[];
  unfinished?: string[];
}

export interface SettleResult {
  /** Items finished (DONE). */
  finished: number;
  /** Items finished or released by this call. */
  settled: number;
  /** The run's status after the call; absent when nothing was settled. */
  status?: string;
}

/** What a batch of trace items is evaluated from. */
export interface TraceBatch {
  /** trace id → the trace with its spans. */
  traces: Map<string, TraceView>;
  /** trace id → metrics this run already scored for it (a re-delivered item). */
  scored: Map<string, Set<string>>;
  /** trace id → its session's earlier turns, oldest first (only when the run's metrics show them). */
  history: Map<string, SessionTurn[]>;
  /** trace id → environment of an abandoned item, failed without being loaded (a trace gone since: absent). */
  abandoned: Map<string, string | null>;
}

/** How much of a session's earlier turns a trace run's metrics show: turns per trace, characters per value. */
export interface HistoryWanted {
  turns: number;
  maxChars: number;
}

/** What a batch of session items is evaluated from. */
export interface SessionBatch {
  /** session id → its traces, oldest first. */
  sessions: Map<string, TraceView[]>;
  /** trace id → signal name → the score it already has. */
  signals: Map<string, Map<string, ExistingSignal>>;
  /** session id → metrics this run already scored for it. */
  scored: Map<string, Set<string>>;
  /** session id → environment of an abandoned item, failed without being loaded (no trace left: absent). */
  abandoned: Map<string, string | null>;
}
