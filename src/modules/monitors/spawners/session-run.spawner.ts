import { Injectable } from '@nestjs/common';
import type { SessionRunFiltersDto } from '../../eval-runs/dto/create-session-run.dto';
import { matchedSessionsSql, SessionMatch, SessionRunsRepository } from '../../eval-runs/session-runs.repository';
import { toSessionTraceFilter } from '../../eval-runs/run-filters';
import type { SqlFragment } from '../../traces/query/trace-filter';
import { MetricsService } from '../../metrics/metrics.service';
import { SESSION_SIGNALS } from '../../metrics/session/session-metrics';
import type { MonitorEntity } from '../entities/monitor.entity';
import type { EvalRunEntity } from '../../eval-runs/entities/eval-run.entity';
import { binder, FilteredRunSpawner, type FireWindow, type MonitorRunFields, type SpawnRequest } from './run-spawner';

/**
 * The sessions a fire may take: those matching the filters (as a session run selects them), over
 * their matching traces ingested up to `until` (the newest one counted, so the run takes exactly
 * what was counted). Scope 'new' adds the incremental window: the session has a matching trace
 * ingested after the watermark minus the grace (found through the created_at index first), and
 * no run of this monitor took it as it is now: same number of matching traces and same newest
 * ingestion time (recorded on the run's item). So a session with new traces, late old-timestamped
 * ones or late commits included, is taken again; an unchanged one never.
 */
function sessionMatch(monitor: MonitorEntity, { watermark, graceMs, until }: FireWindow): SessionMatch {
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

const SESSION_SKIPS = {
  nothingNewSince: (wm: string) => `No matching session got a trace ingested since the watermark (${wm}).`,
  noMatch: "No sessions match the monitor's filters.",
  unchanged: 'only_if_changed: no matching session got a trace since the last run.',
};

/** Spawns the session eval run of a SESSION monitor's fire, in the transaction that holds the monitor. */
@Injectable()
export class SessionRunSpawner extends FilteredRunSpawner {
  constructor(
    private readonly runs: SessionRunsRepository,
    private readonly metrics: MetricsService,
  ) {
    super('SESSION', SESSION_SKIPS);
  }

  /** The session metrics aggregate trace signals: those must be judgeable (as session runs check). */
  protected assertJudgeable(): void {
    this.metrics.assertJudgeable([...SESSION_SIGNALS]);
  }

  protected create(req: SpawnRequest, fields: MonitorRunFields, window: FireWindow): Promise<EvalRunEntity | null> {
    return this.runs.createFilteredRun({ ...fields, ...sessionMatch(req.monitor, window) }, req.manager);
  }

  /** The sessions the fire would take, each with its newest matching trace's ingestion time. */
  protected candidates(monitor: MonitorEntity, window: FireWindow): SqlFragment {
    return matchedSessionsSql(sessionMatch(monitor, window), 1);
  }
}
