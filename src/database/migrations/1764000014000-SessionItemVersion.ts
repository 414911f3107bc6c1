import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a session looked like when a filtered session run took it: the number of its matching
 * traces and the newest one's ingestion time. A SESSION monitor takes a session again only when
 * this changed (new traces, including late commits older than the newest one). Nullable, no
 * default: adding them rewrites nothing; trace items and batch or retry items leave them null.
 */
export class SessionItemVersion1764000014000 implements MigrationInterface {
  name = 'SessionItemVersion1764000014000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE eval_run_items ADD COLUMN session_trace_count integer, ADD COLUMN session_newest_trace_at timestamptz`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE eval_run_items DROP COLUMN IF EXISTS session_trace_count, DROP COLUMN IF EXISTS session_newest_trace_at`,
    );
  }
}
