import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The score summary gives every metric a row, whatever its data type (as the original): the score
 * rollups also keep, per slot, the FAILED scores of types other than NUMERIC and the latest score of
 * those types (SUCCESS ones were already counted in other_type_count). Existing rollup rows are filled
 * from the non-NUMERIC scores, usually few; slots without a rollup row are computed live anyway.
 */
export class ScoreSummaryAllTypes1764000035000 implements MigrationInterface {
  name = 'ScoreSummaryAllTypes1764000035000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE score_rollups ADD COLUMN other_failed_count integer NOT NULL DEFAULT 0,
                                 ADD COLUMN other_latest_at timestamptz`,
    );
    await q.query(`
      UPDATE score_rollups r SET other_failed_count = x.failed, other_latest_at = x.latest
      FROM (SELECT project_id, name, date_bin('15 minutes', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot,
                   (count(*) FILTER (WHERE status = 'FAILED'))::int AS failed, max(created_at) AS latest
            FROM trace_scores WHERE data_type <> 'NUMERIC' GROUP BY 1, 2, 3) x
      WHERE r.project_id = x.project_id AND r.name = x.name AND r.slot = x.slot`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE score_rollups DROP COLUMN IF EXISTS other_failed_count, DROP COLUMN IF EXISTS other_latest_at`,
    );
  }
}
