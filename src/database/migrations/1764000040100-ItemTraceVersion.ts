import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The version of the trace a monitor's run took (traces.version, read in the statement that created
 * the item), so a monitor scores each (trace, version, metric) once and takes a trace again when it
 * changed. Nullable, no default: adding it rewrites nothing; items of runs that no monitor spawned
 * leave it null, and items from before this migration read as version 1 (every trace's version then).
 */
export class ItemTraceVersion1764000040100 implements MigrationInterface {
  name = 'ItemTraceVersion1764000040100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE eval_run_items ADD COLUMN trace_version integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE eval_run_items DROP COLUMN IF EXISTS trace_version`);
  }
}
