import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `latency_day_rollups` (docs/analytics.md#exact-latency-percentiles): the hourly latency histogram
 * summed per UTC day, so a 30-day chart locates its percentile ranks in 30 rows per latency band
 * instead of 720. It starts as the sum of the hour rows, which are exact for every hour without a
 * dirty slot, and reads never use a day holding a dirty slot; the trace refresher keeps it.
 * Idempotent: for a while this table was created by 1764000041000 on a branch, so a database may
 * already hold it.
 */
export class LatencyDayRollups1764000041100 implements MigrationInterface {
  name = 'LatencyDayRollups1764000041100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS latency_day_rollups (
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        day timestamptz NOT NULL,
        k integer NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (project_id, day, k) INCLUDE (count)
      )`);
    await q.query(`DELETE FROM latency_day_rollups`);
    await q.query(`
      INSERT INTO latency_day_rollups (project_id, day, k, count)
      SELECT project_id, date_bin('1 day', hour, TIMESTAMPTZ '2000-01-01 00:00:00+00'), k, sum(count)
      FROM latency_hour_rollups GROUP BY 1, 2, 3`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS latency_day_rollups`);
  }
}
