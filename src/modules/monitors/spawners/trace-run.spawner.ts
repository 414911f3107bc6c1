import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../../config/config.module';
import type { AppConfig } from '../../../config/env';
import type { EvalRunFiltersDto } from '../../eval-runs/dto/eval-run-filters.dto';
import { toTraceFilter } from '../../eval-runs/eval-runs.service';
import { EvalRunsRepository } from '../../eval-runs/eval-runs.repository';
import { JudgeService } from '../../judge/judge.service';
import { buildTraceFilterSql, SqlFragment } from '../../traces/query/trace-filter';
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
 * The traces a fire may take besides the filters. Scope 'new': ingested after the watermark minus
 * the grace (which covers ingestion transactions that committed late), and not already in one of
 * the monitor's runs since then, so a trace is never taken twice; never after `until` (the newest
 * trace counted, so the run takes exactly what was counted). Bounds are bound parameters (the
 * watermark as PostgreSQL text, never rounded through JS), so the created_at index serves them.
 */
function windowSql(
  monitor: MonitorEntity,
  watermark: string | null,
  graceMs: number,
  until: string | null,
  first: number,
): SqlFragment {
  const { bind, params } = binder(first);
  const conditions: string[] = [];
  if (monitor.scope === 'new') {
    const taken = `SELECT 1 FROM eval_runs r JOIN eval_run_items i ON i.run_id = r.id AND i.trace_id = t.trace_id
                   WHERE r.monitor_id = ${bind(monitor.id)}::uuid`;
    if (watermark === null) conditions.push(`NOT EXISTS (${taken})`);
    else {
      const wm = bind(watermark);
      const grace = bind(graceMs / 1000);
      conditions.push(`t.created_at > ${wm}::timestamptz - make_interval(secs => ${grace}::float8)`);
      conditions.push(
        `NOT EXISTS (${taken} AND r.created_at > ${wm}::timestamptz - 2 * make_interval(secs => ${grace}::float8))`,
      );
    }
  }
  if (until !== null) conditions.push(`t.created_at <= ${bind(until)}::timestamptz`);
  return { sql: conditions.length ? conditions.join(' AND ') : 'true', params };
}

const TRACE_SKIPS: SkipWords = {
  nothingNewSince: (wm) => `No matching trace was ingested since the watermark (${wm}).`,
  noMatch: "No traces match the monitor's filters.",
  unchanged: 'only_if_changed: no matching trace was ingested since the last run.',
};

/** Spawns the trace eval run of a TRACE monitor's fire, in the transaction that holds the monitor. */
@Injectable()
export class TraceRunSpawner extends FilteredRunSpawner {
  readonly targetType = 'TRACE' as const;
  protected readonly skips = TRACE_SKIPS;

  constructor(
    private readonly runs: EvalRunsRepository,
    judge: JudgeService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(judge, config);
  }

  protected create(
    req: SpawnRequest,
    fields: MonitorRunFields,
    { watermark, graceMs }: FireWindow,
    until: string | null,
  ): Promise<EvalRunEntity | null> {
    const { monitor } = req;
    return this.runs.createFilteredRun(
      {
        ...fields,
        filter: toTraceFilter(monitor.projectId, monitor.filters as EvalRunFiltersDto),
        extraWhere: (first) => windowSql(monitor, watermark, graceMs, until, first),
      },
      req.manager,
    );
  }

  /** How many traces the fire would take, the newest one's ingestion time, and how many are new since the watermark. */
  protected async candidates(
    m: EntityManager,
    monitor: MonitorEntity,
    { watermark, graceMs }: FireWindow,
  ): Promise<Candidates> {
    const base = buildTraceFilterSql(toTraceFilter(monitor.projectId, monitor.filters as EvalRunFiltersDto), 't', 1);
    const window = windowSql(monitor, watermark, graceMs, null, base.params.length + 1);
    const wm = `$${base.params.length + window.params.length + 1}::timestamptz`;
    const [row] = await m.query(
      `SELECT count(*)::int AS n, max(t.created_at)::text AS newest,
              count(*) FILTER (WHERE ${wm} IS NULL OR t.created_at > ${wm})::int AS fresh
       FROM traces t WHERE ${base.sql} AND ${window.sql}`,
      [...base.params, ...window.params, watermark],
    );
    return { n: row.n, fresh: row.fresh, newest: row.newest };
  }
}
