import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../../config/config.module';
import type { AppConfig } from '../../../config/env';
import type { SessionRunFiltersDto } from '../../eval-runs/dto/create-session-run.dto';
import { matchedSessionsSql, SessionMatch, SessionRunsRepository } from '../../eval-runs/session-runs.repository';
import { toSessionTraceFilter } from '../../eval-runs/run-filters';
import { JudgeService } from '../../judge/judge.service';
import { MetricsService } from '../../metrics/metrics.service';
import { SESSION_SIGNALS } from '../../metrics/session/session-metrics';
import type { MonitorEntity } from '../entities/monitor.entity';
import type { EvalRunEntity } from '../../eval-runs/entities/eval-run.entity';
import {
  binder,
  FilteredRunSpawner,
  type Candidates,
  type FireWindow,
  type MonitorRunFields,
  type SkipWords,
  type SpawnRequest,
} from './run-spawner';

/**
 * The sessions a fire may take: those matching the filters (as a session run selects them), over
 * their matching traces ingested up to `until` (the newest one counted, so the run takes exactly
 * what was counted). Scope 'new' adds the incremental window: the session has a matching trace
 * ingested after the watermark minus the grace (found through the created_at index first), and
 * no run of this monitor took it as it is now: same number of matching traces and same newest
 * ingestion time (recorded on the run's item). So a session with new traces, late old-timestamped
 * ones or late commits included, is taken again; an unchanged one never.
 */
function sessionMatch(monitor: MonitorEntity, { watermark, graceMs }: FireWindow, until: string | null): SessionMatch {
  const filters = monitor.filters as SessionRunFiltersDto;
  const windowed = monitor.scope === 'new' && watermark !== null;
  const since = (b: (v: unknown) => string) =>
    `${b(watermark)}::timestamptz - make_interval(secs => ${b(graceMs / 1000)}::float8)`;
  return {
    filter: toSessionTraceFilter(monitor.projectId, filters),
    hasError: filters.has_error ?? null,
    minTraceCount: filters.min_trace_count ?? 1,
    extraTraces: (first) => {
      const { bind, params } = binder(first);
      const conditions: string[] = [];
      if (until !== null) conditions.push(`t.created_at <= ${bind(until)}::timestamptz`);
      if (windowed) {
        const upTo = until === null ? '' : ` AND w.created_at <= ${bind(until)}::timestamptz`;
        conditions.push(
          `t.session_id IN (SELECT w.session_id FROM traces w WHERE w.project_id = ${bind(monitor.projectId)}::uuid
             AND w.created_at > ${since(bind)}${upTo} AND w.session_id IS NOT NULL)`,
        );
      }
      return { sql: conditions.length ? conditions.join(' AND ') : 'true', params };
    },
    extraSessions: (first) => {
      const { bind, params } = binder(first);
      if (monitor.scope !== 'new') return { sql: 'true', params };
      const recent = windowed
        ? ` AND r.created_at > ${bind(watermark)}::timestamptz - 2 * make_interval(secs => ${bind(graceMs / 1000)}::float8)`
        : '';
      const taken = `SELECT 1 FROM eval_runs r
        JOIN eval_run_items i ON i.run_id = r.id AND i.trace_id = session_item_key(g.session_id)
        WHERE r.monitor_id = ${bind(monitor.id)}::uuid${recent}
          AND i.session_trace_count = g.trace_count AND i.session_newest_trace_at = g.newest`;
      const fresh = windowed ? `g.newest > ${since(bind)} AND ` : '';
      return { sql: `${fresh}NOT EXISTS (${taken})`, params };
    },
  };
}

const SESSION_SKIPS: SkipWords = {
  nothingNewSince: (wm) => `No matching session got a trace ingested since the watermark (${wm}).`,
  noMatch: "No sessions match the monitor's filters.",
  unchanged: 'only_if_changed: no matching session got a trace since the last run.',
};

/** Spawns the session eval run of a SESSION monitor's fire, in the transaction that holds the monitor. */
@Injectable()
export class SessionRunSpawner extends FilteredRunSpawner {
  readonly targetType = 'SESSION' as const;
  protected readonly skips = SESSION_SKIPS;

  constructor(
    private readonly runs: SessionRunsRepository,
    private readonly metrics: MetricsService,
    judge: JudgeService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(judge, config);
  }

  /** The session metrics aggregate trace signals: those must be judgeable (as session runs check). */
  protected assertJudgeable(): void {
    this.metrics.assertJudgeable([...SESSION_SIGNALS]);
  }

  protected create(
    req: SpawnRequest,
    fields: MonitorRunFields,
    window: FireWindow,
    until: string | null,
  ): Promise<EvalRunEntity | null> {
    return this.runs.createFilteredRun({ ...fields, ...sessionMatch(req.monitor, window, until) }, req.manager);
  }

  /** How many sessions the fire would take, their newest matching trace's ingestion time, and how many changed since the watermark. */
  protected async candidates(m: EntityManager, monitor: MonitorEntity, window: FireWindow): Promise<Candidates> {
    const matched = matchedSessionsSql(sessionMatch(monitor, window, null), 1);
    const wm = `$${matched.params.length + 1}::timestamptz`;
    const [row] = await m.query(
      `SELECT count(*)::int AS n, max(c.newest)::text AS newest,
              count(*) FILTER (WHERE ${wm} IS NULL OR c.newest > ${wm})::int AS fresh
       FROM (${matched.sql}) c`,
      [...matched.params, window.watermark],
    );
    return { n: row.n, fresh: row.fresh, newest: row.newest };
  }
}
