import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * spans.size_bytes becomes a plain column, set by the statements that write a span (with the values
 * they write), instead of a generated one: a batch of new traces measured every span twice (once for
 * the trace's spans_bytes, once for the generated column). DROP EXPRESSION keeps every stored value
 * and rewrites nothing. Rows inserted by hand (not through the traces module) get NULL, counted as 0.
 */
export class SpanSizeWritten1764000040200 implements MigrationInterface {
  name = 'SpanSizeWritten1764000040200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE spans ALTER COLUMN size_bytes DROP EXPRESSION`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE spans DROP COLUMN size_bytes`);
    await q.query(`
      ALTER TABLE spans ADD COLUMN size_bytes bigint GENERATED ALWAYS AS (
        coalesce(octet_length(input::text), 0) + coalesce(octet_length(output::text), 0)
        + octet_length(metadata::text) + coalesce(octet_length(error), 0)) STORED`);
  }
}
