import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exact latency percentiles (docs/analytics.md). The read path finds each percentile's rank in the
 * latency histogram, then reads that one latency from the traces of its time bucket and histogram
 * bucket k: this index serves that read (the expression is the histogram's k, frozen here as the
 * analytics module wrote it). The hourly percentiles the refresher keeps were interpolated from the
 * histogram; they are recomputed here with percentile_cont over each hour's traces, as the refresher
 * now does (an hour changed later is marked dirty and recomputed before it is read whole again).
 * `latency_day_rollups`: the hourly histogram summed per UTC day, so a 30-day chart locates its ranks
 * in 30 rows per latency band instead of 720; it starts as the sum of the hour rows, which are exact
 * for every hour without a dirty slot, and reads never use a day holding a dirty slot.
 */
const K = `(CASE WHEN latency_ms <= 0 THEN -100000 ELSE floor(ln(latency_ms) / ln(1.02))::int END)`;

export class ExactLatencyPercentiles1764000041000 implements MigrationInterface {
  name = 'ExactLatencyPercentiles1764000041000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_traces_latency_rank ON traces (project_id, ${K}, started_at) INCLUDE (latency_ms)
       WHERE latency_ms IS NOT NULL`,
    );
    await q.query(`ANALYZE traces`);
    await q.query(`DELETE FROM latency_hour_percentiles`);
    await q.query(`
      INSERT INTO latency_hour_percentiles (project_id, hour, pct)
      SELECT project_id, date_bin('1 hour', started_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
             percentile_cont(ARRAY[0.5, 0.9, 0.99]::float8[]) WITHIN GROUP (ORDER BY latency_ms)
      FROM traces WHERE latency_ms IS NOT NULL GROUP BY 1, 2`);
    await q.query(`
      CREATE TABLE latency_day_rollups (
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        day timestamptz NOT NULL,
        k integer NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (project_id, day, k) INCLUDE (count)
      )`);
    await q.query(`
      INSERT INTO latency_day_rollups (project_id, day, k, count)
      SELECT project_id, date_bin('1 day', hour, TIMESTAMPTZ '2000-01-01 00:00:00+00'), k, sum(count)
      FROM latency_hour_rollups GROUP BY 1, 2, 3`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS latency_day_rollups`);
    await q.query(`DROP INDEX IF EXISTS ix_traces_latency_rank`);
  }
}
