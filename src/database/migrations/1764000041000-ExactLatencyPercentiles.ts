import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exact latency percentiles (docs/analytics.md). The read path finds each percentile's rank in the
 * latency histogram, then reads that one latency from the traces of its time bucket and histogram
 * bucket k: this index serves that read (the expression is the histogram's k, frozen here as the
 * analytics module wrote it). The hourly percentiles the refresher keeps were interpolated from the
 * histogram; they are recomputed here with percentile_cont over each hour's traces, as the refresher
 * now does (an hour changed later is marked dirty and recomputed before it is read whole again).
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
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_traces_latency_rank`);
  }
}
