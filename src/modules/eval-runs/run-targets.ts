import type { ScoreSubject } from '../scores/run-scores.store';

/** What a run evaluates: traces, or sessions (groups of traces by session_id). */
export type TargetType = 'TRACE' | 'SESSION';

/**
 * A run's item source as the statements see it: every run statement (batch, retry, scores) is
 * written once and takes one of these. A ledger item's key (`eval_run_items.trace_id`) is the
 * trace, or for a session `session_item_key(session_id)` (migration 1764000008000), so the worker
 * claims, leases and settles both alike.
 */
export interface RunTarget {
  type: TargetType;
  /** The item column holding the target's id (`trace_id` or `session_id`). */
  idColumn: 'trace_id' | 'session_id';
  /** PostgreSQL type of an array of its ids. */
  idArray: 'uuid[]' | 'varchar[]';
  /** Key of the ids in a batch or retry run's stored filters. */
  idsKey: 'trace_ids' | 'session_ids';
  /** Ledger item columns a target fills, and their values for the id expression `id`. */
  itemColumns: string;
  itemValues: (id: string) => string;
  /** The slice of an item among `n` slices: a hash of its id, so slices are even without sorting. */
  sliceOf: (id: string, n: string) => string;
  /** What its runs' scores are about (a session run's signals are trace scores besides). */
  scores: ScoreSubject;
}

export const TRACE_TARGET: RunTarget = {
  type: 'TRACE',
  idColumn: 'trace_id',
  idArray: 'uuid[]',
  idsKey: 'trace_ids',
  itemColumns: 'trace_id',
  itemValues: (id) => id,
  sliceOf: (id, n) => `abs(uuid_hash_extended(${id}, 0) % ${n})::int`,
  scores: 'trace',
};

export const SESSION_TARGET: RunTarget = {
  type: 'SESSION',
  idColumn: 'session_id',
  idArray: 'varchar[]',
  idsKey: 'session_ids',
  itemColumns: 'trace_id, session_id',
  itemValues: (id) => `session_item_key(${id}), ${id}`,
  sliceOf: (id, n) => `abs(hashtextextended(${id}, 0) % ${n})::int`,
  scores: 'session',
};

export const runTarget = (type: TargetType | string): RunTarget => (type === 'SESSION' ? SESSION_TARGET : TRACE_TARGET);
