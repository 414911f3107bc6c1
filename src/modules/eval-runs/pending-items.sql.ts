/**
 * The ledger a slice at a time (issue 27, point 3). A filtered trace run created through the API
 * writes only its slice 0 to `eval_run_items` in its creation statement; every other slice of the
 * frozen sample goes to `eval_run_pending_items`, one row per slice holding its trace ids (a few
 * hundred array rows instead of up to a million ledger rows and their two b-trees). A worker moves a
 * slice into the ledger when it takes the slice's job. The sample itself is decided at creation,
 * exactly as before (same statement, same seed): only where its ids wait changes.
 *
 * Monitor runs keep the whole ledger at creation: their next fire reads the items of earlier runs
 * to skip traces already taken (and records each item's trace version).
 */

/**
 * The ledger CTEs of a filtered trace run's creation, after a CTE `run (id, slice_count)`:
 * `selection` yields the sample as `s(trace_id)`, `slice` is its slice expression over `s.trace_id`
 * and `run.slice_count`, `version` the item's trace_version expression. `lazy`: slice 0 to the
 * ledger, the others to pending rows; else every item to the ledger.
 */
export function ledgerCtesSql(o: { selection: string; slice: string; version: string; lazy: boolean }): string {
  if (!o.lazy) {
    return `items AS (
        INSERT INTO eval_run_items (run_id, trace_id, slice, trace_version)
        SELECT run.id, s.trace_id, ${o.slice}, ${o.version}
        FROM run CROSS JOIN (${o.selection}) s
        ORDER BY s.trace_id
        RETURNING 1
      )`;
  }
  return `chosen AS MATERIALIZED (
        SELECT s.trace_id, ${o.slice} AS slice FROM run CROSS JOIN (${o.selection}) s
      ), items AS (
        INSERT INTO eval_run_items (run_id, trace_id, slice)
        SELECT run.id, c.trace_id, c.slice FROM run CROSS JOIN chosen c WHERE c.slice = 0
        ORDER BY c.trace_id
        RETURNING 1
      ), pending AS (
        INSERT INTO eval_run_pending_items (run_id, slice, trace_ids)
        SELECT run.id, c.slice, array_agg(c.trace_id) FROM run CROSS JOIN chosen c WHERE c.slice > 0
        GROUP BY run.id, c.slice
      )`;
}

/**
 * Moves slice $2 of run $1 into the ledger. Idempotent and race-free: the DELETE locks the pending
 * row, a second caller finds nothing, and ON CONFLICT keeps an item written before.
 */
export const MATERIALIZE_SLICE_SQL = `WITH taken AS (
         DELETE FROM eval_run_pending_items WHERE run_id = $1 AND slice = $2 RETURNING trace_ids
       )
       INSERT INTO eval_run_items (run_id, trace_id, slice)
       SELECT $1, x.trace_id, $2 FROM taken CROSS JOIN unnest(taken.trace_ids) AS x(trace_id)
       ON CONFLICT DO NOTHING`;

/** No slice of run `runId` (an SQL expression) still waits outside the ledger. */
export const NO_PENDING_SLICE = (runId: string) =>
  `NOT EXISTS (SELECT 1 FROM eval_run_pending_items p WHERE p.run_id = ${runId})`;

/** The trace ids of run $1's slices still outside the ledger, as rows `pending_trace(trace_id)`. */
export const PENDING_TRACES_SQL = (runId: string) =>
  `SELECT x.trace_id FROM eval_run_pending_items p CROSS JOIN unnest(p.trace_ids) AS x(trace_id) WHERE p.run_id = ${runId}`;
