import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A filtered run's sample beyond its first slice, frozen at creation but not yet in the ledger: one
 * row per slice holding the slice's trace ids. A worker turns a slice's row into ledger items when
 * it takes the slice's job (docs/eval-runs.md, "The ledger, a slice at a time"). A foreign key with
 * ON DELETE CASCADE: a run has a few hundred of these rows at most, so the per-row check is cheap.
 */
export class PendingRunItems1764000044000 implements MigrationInterface {
  name = 'PendingRunItems1764000044000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE eval_run_pending_items (
        run_id uuid NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
        slice integer NOT NULL,
        trace_ids uuid[] NOT NULL,
        PRIMARY KEY (run_id, slice)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS eval_run_pending_items`);
  }
}
