import { Injectable } from '@nestjs/common';
import type { EvalRunFiltersDto } from '../../eval-runs/dto/eval-run-filters.dto';
import { toTraceFilter } from '../../eval-runs/eval-runs.service';
import { EvalRunsRepository } from '../../eval-runs/eval-runs.repository';
import { buildTraceFilterSql, SqlFragment } from '../../traces/query/trace-filter';
import type { MonitorEntity } from '../entities/monitor.entity';
import type { EvalRunEntity } from '../../eval-runs/entities/eval-run.entity';
import { binder, FilteredRunSpawner, type FireWindow, type MonitorRunFields, type SpawnRequest } from './run-spawner';

/** A trace is finished when COMPLETED or ERROR; others are ready for monitors once quiet. */
const FINISHED = `t.status IN ('COMPLETED', 'ERROR')`;

/**
 * The traces a fire may take besides the filters.
 *
 * Ready traces only: finished, or unchanged for MONITOR_TRACE_QUIET_MS before the fire's `now`. A
 * trace's ready time is its last change (updated_at) when finished, else that plus the quiet time;
 * the watermark is the newest ready time taken. Scope 'new': ready after the watermark minus the
 * grace (which covers write transactions that committed late), and no run of this monitor took the
 * trace at its current version (items record traces.version; items from before versions read as 1),
 * so a trace is scored once per (version, metric) and again when it changed; never ready after
 * `until` (the newest counted, so the run takes exactly what was counted). A run that took this
 * version began after the version's write began, less the time a fire's transaction may take before
 * its selection, so only the monitor's runs created since `updated_at` minus the grace are probed
 * (ix_eval_runs_monitor). Bounds are bound parameters (the watermark as PostgreSQL text),
 * with an updated_at range for ix_traces_project_updated.
 */
export function traceWindowSql(
  monitor: MonitorEntity,
  { watermark, graceMs, quietMs, now, until }: FireWindow,
  first: number,
): SqlFragment & { readyAt: string } {
  const { bind, params } = binder(first);
  const quiet = `make_interval(secs => ${bind(quietMs / 1000)}::float8)`;
  const readyAt = `(CASE WHEN ${FINISHED} THEN t.updated_at ELSE t.updated_at + ${quiet} END)`;
  const conditions = [`(${FINISHED} OR t.updated_at <= ${bind(now.toISOString())}::timestamptz - ${quiet})`];
  if (monitor.scope === 'new') {
    // Bound only where used: PostgreSQL cannot type a parameter that no expression uses.
    const grace = `make_interval(secs => ${bind(graceMs / 1000)}::float8)`;
    conditions.push(`NOT EXISTS (SELECT 1 FROM eval_runs r
      JOIN eval_run_items i ON i.run_id = r.id AND i.trace_id = t.trace_id AND coalesce(i.trace_version, 1) = t.version
      WHERE r.monitor_id = ${bind(monitor.id)}::uuid AND r.created_at >= t.updated_at - ${grace})`);
    if (watermark !== null) {
      const since = `${bind(watermark)}::timestamptz - ${grace}`;
      conditions.push(`t.updated_at > ${since} - ${quiet}`, `${readyAt} > ${since}`);
    }
  }
  if (until !== null) {
    const upTo = `${bind(until)}::timestamptz`;
    conditions.push(`t.updated_at <= ${upTo}`, `${readyAt} <= ${upTo}`);
  }
  return { sql: conditions.join(' AND '), params, readyAt };
}

const TRACE_SKIPS = {
  nothingNewSince: (wm: string) =>
    `No matching trace was ingested since the watermark (${wm}), nor finished or changed.`,
  noMatch: "No traces match the monitor's filters.",
  unchanged: 'only_if_changed: no matching trace was ingested, finished or changed since the last run.',
};

/** Spawns the trace eval run of a TRACE monitor's fire, in the transaction that holds the monitor. */
@Injectable()
export class TraceRunSpawner extends FilteredRunSpawner {
  constructor(private readonly runs: EvalRunsRepository) {
    super('TRACE', TRACE_SKIPS);
  }

  protected create(req: SpawnRequest, fields: MonitorRunFields, window: FireWindow): Promise<EvalRunEntity | null> {
    const { monitor } = req;
    return this.runs.createFilteredRun(
      {
        ...fields,
        filter: toTraceFilter(monitor.projectId, monitor.filters as EvalRunFiltersDto),
        extraWhere: (first) => traceWindowSql(monitor, window, first),
        recordTraceVersion: true,
      },
      req.manager,
    );
  }

  /** The traces the fire would take, each with its ready time (the watermark is the newest ready time). */
  protected candidates(monitor: MonitorEntity, window: FireWindow): SqlFragment {
    const base = buildTraceFilterSql(toTraceFilter(monitor.projectId, monitor.filters as EvalRunFiltersDto), 't', 1);
    const ready = traceWindowSql(monitor, window, base.params.length + 1);
    return {
      sql: `SELECT ${ready.readyAt} AS newest FROM traces t WHERE ${base.sql} AND ${ready.sql}`,
      params: [...base.params, ...ready.params],
    };
  }
}
