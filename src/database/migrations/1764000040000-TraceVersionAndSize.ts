import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Traces get a change marker and a running size.
 *
 * - `version`, incremented by every write that changes a trace (re-post, span append or PATCH,
 *   trace PATCH, batch tags), with `updated_at` (already bumped by the same writes) as its time:
 *   monitors take a trace again when its version changed since they scored it, found through
 *   `ix_traces_project_updated`.
 * - `spans.size_bytes` (generated: the bytes of a span's input, output, metadata and error as JSON
 *   text), `traces.spans_bytes` (their sum, kept by the statements that keep span_count) and
 *   `traces.size_bytes` (generated: the trace's own input, output and metadata plus spans_bytes):
 *   the MAX_TRACE_BYTES check and response bounds read one column instead of every span.
 */
export class TraceVersionAndSize1764000040000 implements MigrationInterface {
  name = 'TraceVersionAndSize1764000040000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE traces ADD COLUMN version integer NOT NULL DEFAULT 1`);
    await q.query(`
      ALTER TABLE spans ADD COLUMN size_bytes bigint GENERATED ALWAYS AS (
        coalesce(octet_length(input::text), 0) + coalesce(octet_length(output::text), 0)
        + octet_length(metadata::text) + coalesce(octet_length(error), 0)) STORED`);
    await q.query(`ALTER TABLE traces ADD COLUMN spans_bytes bigint NOT NULL DEFAULT 0`);
    await q.query(`
      UPDATE traces t SET spans_bytes = s.bytes
      FROM (SELECT trace_id, sum(size_bytes)::bigint AS bytes FROM spans GROUP BY trace_id) s
      WHERE t.trace_id = s.trace_id`);
    await q.query(`
      ALTER TABLE traces ADD COLUMN size_bytes bigint GENERATED ALWAYS AS (
        coalesce(octet_length(input::text), 0) + coalesce(octet_length(output::text), 0)
        + octet_length(metadata::text) + spans_bytes) STORED`);
    await q.query(`CREATE INDEX ix_traces_project_updated ON traces (project_id, updated_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_traces_project_updated`);
    await q.query(`ALTER TABLE traces DROP COLUMN IF EXISTS size_bytes`);
    await q.query(`ALTER TABLE traces DROP COLUMN IF EXISTS spans_bytes`);
    await q.query(`ALTER TABLE spans DROP COLUMN IF EXISTS size_bytes`);
    await q.query(`ALTER TABLE traces DROP COLUMN IF EXISTS version`);
  }
}
