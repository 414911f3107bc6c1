import type { DataSource } from 'typeorm';

/** A slice of a run that may be queued or worked now. */
export interface WindowSlice {
  runId: string;
  slice: number;
}

/**
 * The queue side of fair scheduling: a project has at most `width` slices in flight (queued or
 * active) over all its runs, and those are always its **first `width` open slices**, in the order
 * of its unfinished runs (oldest first) and of their slice numbers. Nothing is stored: an open slice
 * is one with an item not DONE, or not yet written to the ledger (a row of `eval_run_pending_items`,
 * which the worker writes out when it takes the slice), so the window moves by itself when a slice finishes, and whoever
 * enqueues (run creation, the end of a slice job, the sweeper) computes the same window. Enqueueing
 * a window whose slices are already queued or active adds nothing (a job id per slice).
 *
 * One statement; per unfinished run it probes at most `width` open slices through the partial
 * index `ix_eval_run_items_open (run_id, slice, state) WHERE state <> 'DONE'` and the pending
 * rows' key (a skip scan: the next open slice after the last), so its cost does not grow with the
 * runs' sizes.
 */
export class SliceWindow {
  constructor(
    private readonly ds: DataSource,
    private readonly width: number,
  ) {}

  /** The window of the project of `runId`. */
  ofRunsProject(runId: string): Promise<WindowSlice[]> {
    return this.query(`SELECT project_id FROM eval_runs WHERE id = $3`, [runId], false);
  }

  /**
   * The windows of every project with unfinished runs (the oldest `runs` of them), keeping only the
   * slices with claimable items: PENDING ones, or RUNNING ones whose lease expired (their worker died).
   */
  claimable(runs: number): Promise<WindowSlice[]> {
    return this.query(
      `SELECT DISTINCT project_id FROM (
         SELECT project_id FROM eval_runs WHERE status IN ('PENDING', 'RUNNING') ORDER BY created_at LIMIT $3) o`,
      [runs],
      true,
    );
  }

  private async query(projects: string, params: unknown[], claimableOnly: boolean): Promise<WindowSlice[]> {
    const rows: Array<{ run_id: string; slice: number }> = await this.ds.query(
      `WITH RECURSIVE runs AS (
         SELECT r.id, r.project_id, r.created_at FROM eval_runs r
         WHERE r.status IN ('PENDING', 'RUNNING') AND r.project_id IN (${projects})
       ), open AS (
         SELECT r.id AS run_id, 1 AS n, least(
                  (SELECT min(i.slice) FROM eval_run_items i WHERE i.run_id = r.id AND i.state <> 'DONE'),
                  (SELECT min(p.slice) FROM eval_run_pending_items p WHERE p.run_id = r.id)) AS slice
         FROM runs r
         UNION ALL
         SELECT o.run_id, o.n + 1, least(
                  (SELECT min(i.slice) FROM eval_run_items i WHERE i.run_id = o.run_id AND i.state <> 'DONE' AND i.slice > o.slice),
                  (SELECT min(p.slice) FROM eval_run_pending_items p WHERE p.run_id = o.run_id AND p.slice > o.slice))
         FROM open o WHERE o.slice IS NOT NULL AND o.n < $1
       ), ranked AS (
         SELECT o.run_id, o.slice, r.created_at,
                row_number() OVER (PARTITION BY r.project_id ORDER BY r.created_at, r.id, o.slice) AS k
         FROM open o JOIN runs r ON r.id = o.run_id
         WHERE o.slice IS NOT NULL
       )
       SELECT run_id, slice FROM ranked w
       WHERE w.k <= $1
         AND (NOT $2
           OR EXISTS (SELECT 1 FROM eval_run_pending_items p WHERE p.run_id = w.run_id AND p.slice = w.slice)
           OR EXISTS (
             SELECT 1 FROM eval_run_items i
             WHERE i.run_id = w.run_id AND i.slice = w.slice
               AND (i.state = 'PENDING' OR (i.state = 'RUNNING' AND i.lease_expires_at < now()))))
       ORDER BY w.created_at, w.run_id, w.slice`,
      [this.width, claimableOnly, ...params],
    );
    return rows.map((r) => ({ runId: r.run_id, slice: r.slice }));
  }
}

/** Groups slices by run, keeping the order of first appearance. */
export function byRun(slices: WindowSlice[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { runId, slice } of slices) out.set(runId, [...(out.get(runId) ?? []), slice]);
  return out;
}
