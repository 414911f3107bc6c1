import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UsageCounts } from './self-hosted-plan';

export interface PeriodUsage extends UsageCounts {
  periodStart: Date;
  periodEnd: Date;
}

/**
 * What an organization really used, counted in PostgreSQL: traces ingested (by ingestion time), and
 * judge-produced (AUTOMATED) trace and session scores, in each UTC calendar month. Each count is an
 * index range scan per project (`(project_id, created_at)` indexes; the LATERAL join makes the
 * planner use them per project rather than scan the table); nothing is loaded into memory.
 * Deleting data (by hand, a project delete, retention) lowers the counts of its periods.
 */
@Injectable()
export class UsageCounter {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The months from the one holding `from` to the one holding `to`, newest first, at most `limit`. */
  async byMonth(orgId: string, from: Date, to: Date, limit: number): Promise<PeriodUsage[]> {
    const rows: { period_start: Date; period_end: Date; traces: string; trace_evals: string; session_evals: string }[] =
      await this.db.query(
        `WITH org_projects AS (SELECT id FROM projects WHERE org_id = $1),
              months AS (
                SELECT m AT TIME ZONE 'UTC' AS period_start, (m + interval '1 month') AT TIME ZONE 'UTC' AS period_end
                  FROM generate_series(date_trunc('month', $3::timestamptz AT TIME ZONE 'UTC'),
                                       date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC'),
                                       interval '-1 month') AS m
                 LIMIT $4)
         SELECT period_start, period_end,
                (SELECT coalesce(sum(n.c), 0) FROM org_projects p, LATERAL (
                   SELECT count(*) AS c FROM traces t
                    WHERE t.project_id = p.id AND t.created_at >= period_start AND t.created_at < period_end) n) AS traces,
                (SELECT coalesce(sum(n.c), 0) FROM org_projects p, LATERAL (
                   SELECT count(*) AS c FROM trace_scores s
                    WHERE s.project_id = p.id AND s.created_at >= period_start AND s.created_at < period_end
                      AND s.source = 'AUTOMATED') n) AS trace_evals,
                (SELECT coalesce(sum(n.c), 0) FROM org_projects p, LATERAL (
                   SELECT count(*) AS c FROM session_scores s
                    WHERE s.project_id = p.id AND s.created_at >= period_start AND s.created_at < period_end
                      AND s.source = 'AUTOMATED') n) AS session_evals
           FROM months ORDER BY period_start DESC`,
        [orgId, from, to, limit],
      );
    return rows.map((r) => ({
      periodStart: r.period_start,
      periodEnd: r.period_end,
      traces: Number(r.traces),
      trace_evals: Number(r.trace_evals),
      session_evals: Number(r.session_evals),
    }));
  }

  /** The month holding `at`. */
  async month(orgId: string, at: Date): Promise<PeriodUsage> {
    const [usage] = await this.byMonth(orgId, at, at, 1);
    return usage;
  }
}
