import type { DataSource } from 'typeorm';

/**
 * A fingerprint of everything stored: for every table of the schema (found at run time, so a new
 * table is included without edits), the row count and a hash of its rows. Comparing two snapshots
 * proves that nothing was inserted, changed or deleted in between.
 */
export type Snapshot = Record<string, { rows: number; hash: string }>;

/** Columns that change on reads by design and are left out of the fingerprint. */
export const VOLATILE_COLUMNS: Record<string, string[]> = {
  // Stamped (at most once a minute) whenever the key authenticates a request.
  api_keys: ['last_used_at'],
  // Stamped (at most once a minute) whenever a user's token is seen.
  users: ['last_sign_in_at'],
};

/**
 * Left out: migration bookkeeping, and the analytics rollups with their dirty marks, which a
 * background refresher rewrites from the traces at any moment (derived data; that they equal the
 * raw computation is proven in analytics.e2e-spec.ts and score-rollups.e2e-spec.ts).
 */
const SKIPPED_TABLES = new Set([
  'migrations',
  'typeorm_metadata',
  'rollup_dirty',
  'trace_rollups',
  'model_rollups',
  'latency_rollups',
  'latency_hour_rollups',
  'latency_day_rollups',
  'latency_hour_percentiles',
  'score_rollup_dirty',
  'score_rollups',
  'score_value_rollups',
]);

/**
 * @param exceptProjectId leave out rows of this project (and of its traces and runs): the scratch
 *   project that valid fuzzed writes may change.
 */
export async function snapshotDatabase(ds: DataSource, exceptProjectId?: string): Promise<Snapshot> {
  const columns: { table_name: string; column_name: string }[] = await ds.query(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name IN (
       SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE')`,
  );
  const byTable = new Map<string, Set<string>>();
  for (const c of columns) {
    if (!byTable.has(c.table_name)) byTable.set(c.table_name, new Set());
    byTable.get(c.table_name)!.add(c.column_name);
  }
  const snapshot: Snapshot = {};
  for (const [table, cols] of [...byTable.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (SKIPPED_TABLES.has(table)) continue;
    let where = 'TRUE';
    const params: string[] = [];
    if (exceptProjectId) {
      params.push(exceptProjectId);
      if (table === 'projects') where = 'r.id <> $1';
      else if (cols.has('project_id')) where = 'r.project_id IS DISTINCT FROM $1';
      else if (cols.has('trace_id')) where = 'r.trace_id NOT IN (SELECT trace_id FROM traces WHERE project_id = $1)';
      else if (cols.has('run_id')) where = 'r.run_id NOT IN (SELECT id FROM eval_runs WHERE project_id = $1)';
      else params.pop();
    }
    const volatile = (VOLATILE_COLUMNS[table] ?? []).map((c) => ` - '${c}'`).join('');
    const row = `md5((to_jsonb(r)${volatile})::text)`;
    const [res]: { rows: number; hash: string }[] = await ds.query(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(${row}, ',' ORDER BY ${row}), '')) AS hash
       FROM "${table}" r WHERE ${where}`,
      params,
    );
    snapshot[table] = res;
  }
  return snapshot;
}
