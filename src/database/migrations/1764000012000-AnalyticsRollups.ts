import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * p50/p90/p99 of one hour's latency histogram, as the analytics module computed them when this
 * migration was written: frozen text, so later changes to rollup-sql.ts cannot rewrite history.
 */
const LATENCY_VALUE = (k: string) => `(CASE WHEN ${k} = -100000 THEN 0 ELSE 2 * power(1.02, ${k} + 1) / 2.02 END)`;
const HOUR_PERCENTILES = `
  SELECT b, array_agg(${LATENCY_VALUE('k_lo')} + frac * (${LATENCY_VALUE('k_hi')} - ${LATENCY_VALUE('k_lo')}) ORDER BY p) AS pct
  FROM (
    SELECT b, p, min(k) FILTER (WHERE upto > floor(p * (n - 1))) AS k_lo,
           min(k) FILTER (WHERE upto > ceil(p * (n - 1))) AS k_hi, max(p * (n - 1) - floor(p * (n - 1))) AS frac
    FROM (SELECT b, k, sum(c) OVER (PARTITION BY b ORDER BY k) AS upto, sum(c) OVER (PARTITION BY b) AS n
          FROM (SELECT x.hour AS b, l.k, l.count::numeric AS c FROM latency_hour_rollups l
                                                       WHERE l.project_id = x.project_id AND l.hour = x.hour) hist) cum
    CROSS JOIN unnest(ARRAY[0.5, 0.9, 0.99]::float8[]) AS p
    GROUP BY b, p
  ) ranks
  GROUP BY b`;

/**
 * Score rollups (docs/analytics.md), the trace rollups' scheme applied to trace_scores: exact for
 * refreshed slots, dirty slots and the window's edges computed live in the same statement.
 *
 * `score_rollups`: per project, metric name and 15-minute slot of created_at, what the summary and
 * the trend add up (counts, the exact numeric sum, min, max, the latest NUMERIC score).
 * `score_value_rollups`: per project, metric name and UTC day, how many successful NUMERIC scores
 * hold each distinct value: the distribution and the exact median come from it (scores take few
 * distinct values, so a day of one metric is at most a few thousand rows however many scores).
 * Statement-level triggers on trace_scores append the (project, name, slot) triples a statement
 * touched to score_rollup_dirty; a day is live while any of its slots has a mark.
 *
 * `latency_hour_rollups`: the trace latency histogram of latency_rollups summed per UTC hour, so
 * percentiles over many hours read a quarter of the rows. The trace refresher keeps it with the slot
 * rows (a taken slot recomputes its whole hour); it starts as the sum of the slot rows, which are
 * exact for every slot without a mark, and reads never use an hour holding a marked slot.
 */
export class AnalyticsRollups1764000012000 implements MigrationInterface {
  name = 'AnalyticsRollups1764000012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE score_rollups (
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name varchar(255) NOT NULL,
        slot timestamptz NOT NULL,
        numeric_rows integer NOT NULL,
        latest_at timestamptz,
        failed_count integer NOT NULL,
        value_count integer NOT NULL,
        value_sum numeric NOT NULL,
        value_min numeric,
        value_max numeric,
        unparsed_count integer NOT NULL,
        other_type_count integer NOT NULL,
        PRIMARY KEY (project_id, name, slot)
      )`);
    await q.query(`
      CREATE TABLE score_value_rollups (
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name varchar(255) NOT NULL,
        day timestamptz NOT NULL,
        value numeric NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (project_id, name, day, value) INCLUDE (count)
      )`);
    await q.query(`
      CREATE TABLE latency_hour_rollups (
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        hour timestamptz NOT NULL,
        k integer NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (project_id, hour, k) INCLUDE (count)
      )`);
    await q.query(`
      INSERT INTO latency_hour_rollups (project_id, hour, k, count)
      SELECT project_id, date_bin('1 hour', slot, TIMESTAMPTZ '2000-01-01 00:00:00+00'), k, sum(count)
      FROM latency_rollups GROUP BY 1, 2, 3`);
    // p50/p90/p99 of each hour, computed from its histogram as reads would: an hour bucket that is
    // one rolled-up hour reads one row. Kept by the refresher; filled here for the hours above (an
    // hour holding a dirty slot is recomputed when refreshed, and never read as whole before).
    await q.query(`
      CREATE TABLE latency_hour_percentiles (
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        hour timestamptz NOT NULL,
        pct double precision[] NOT NULL,
        PRIMARY KEY (project_id, hour) INCLUDE (pct)
      )`);
    await q.query(`
      INSERT INTO latency_hour_percentiles (project_id, hour, pct)
      SELECT x.project_id, x.hour, p.pct FROM (SELECT DISTINCT project_id, hour FROM latency_hour_rollups) x
      CROSS JOIN LATERAL (${HOUR_PERCENTILES}) p`);
    await q.query(`
      CREATE TABLE score_rollup_dirty (
        id bigserial PRIMARY KEY,
        project_id uuid NOT NULL,
        name varchar(255) NOT NULL,
        slot timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX ix_score_rollup_dirty_project_name_slot ON score_rollup_dirty (project_id, name, slot)`,
    );
    for (const [event, rows] of [
      ['INSERT', 'NEW TABLE AS changed'],
      ['DELETE', 'OLD TABLE AS changed'],
      ['UPDATE', 'OLD TABLE AS changed NEW TABLE AS changed_to'],
    ]) {
      const after = event === 'UPDATE' ? ` UNION SELECT project_id, name, created_at FROM changed_to` : '';
      await q.query(`
        CREATE FUNCTION trace_scores_mark_rollups_${event.toLowerCase()}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO score_rollup_dirty (project_id, name, slot)
          SELECT DISTINCT project_id, name, date_bin('15 minutes', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')
          FROM (SELECT project_id, name, created_at FROM changed${after}) c;
          RETURN NULL;
        END $$`);
      await q.query(`
        CREATE TRIGGER tr_trace_scores_mark_rollups_${event.toLowerCase()} AFTER ${event} ON trace_scores
        REFERENCING ${rows} FOR EACH STATEMENT EXECUTE FUNCTION trace_scores_mark_rollups_${event.toLowerCase()}()`);
    }
    // Scores stored before this migration: every slot starts dirty (exact live answers until refreshed).
    // In order, so that each refresh pass takes neighbouring slots and recomputes few days.
    await q.query(`
      INSERT INTO score_rollup_dirty (project_id, name, slot)
      SELECT project_id, name, slot FROM (
        SELECT DISTINCT project_id, name, date_bin('15 minutes', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot
        FROM trace_scores) d
      ORDER BY 1, 2, 3`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const event of ['insert', 'delete', 'update']) {
      await q.query(`DROP TRIGGER IF EXISTS tr_trace_scores_mark_rollups_${event} ON trace_scores`);
      await q.query(`DROP FUNCTION IF EXISTS trace_scores_mark_rollups_${event}()`);
    }
    await q.query(`DROP TABLE IF EXISTS score_rollup_dirty`);
    await q.query(`DROP TABLE IF EXISTS score_value_rollups`);
    await q.query(`DROP TABLE IF EXISTS score_rollups`);
    await q.query(`DROP TABLE IF EXISTS latency_hour_percentiles`);
    await q.query(`DROP TABLE IF EXISTS latency_hour_rollups`);
  }
}
