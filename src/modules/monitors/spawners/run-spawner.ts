import { randomInt } from 'node:crypto';
import { Inject } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../../config/config.module';
import type { AppConfig } from '../../../config/env';
import { JudgeService } from '../../judge/judge.service';
import type { SqlFragment } from '../../traces/query/trace-filter';
import type { EvalRunEntity } from '../../eval-runs/entities/eval-run.entity';
import type { MonitorEntity, MonitorTargetType } from '../entities/monitor.entity';
import type { MonitorSkipReason } from '../../operators/monitor-metrics';

/** Why a due slot created no run; `kind` is the Prometheus label, `reason` what the monitor shows. */
export interface SpawnSkip {
  skipped: { kind: MonitorSkipReason | 'failed'; reason: string };
}

export interface SpawnedRun {
  run: EvalRunEntity;
  /** The newest target's watermark time (trace: when it became ready; session: newest ingestion), as PostgreSQL text: the new watermark. */
  watermark: string | null;
}

export interface SpawnRequest {
  monitor: MonitorEntity;
  /** The transaction that holds the monitor's row lock: the run is created in it. */
  manager: EntityManager;
  /** Judge budgets of the run (already capped by what is left of the monitor's day). */
  maxJudgeCalls: number | null;
  maxJudgeTokens: number | null;
  /** A manual trigger ignores only_if_changed (it still never re-takes traces in scope 'new'). */
  manual: boolean;
  /** The fire's time (the injected clock): a trace not yet finished is ready once quiet since then. */
  now: Date;
}

/**
 * Creates the eval run of one monitor fire, for one target type: TRACE monitors spawn trace runs
 * (TraceRunSpawner), SESSION monitors session runs (SessionRunSpawner).
 */
export interface MonitorRunSpawner {
  readonly targetType: MonitorTargetType;
  spawn(req: SpawnRequest): Promise<SpawnedRun | SpawnSkip>;
}

export const spawnSkip = (kind: SpawnSkip['skipped']['kind'], reason: string): SpawnSkip => ({
  skipped: { kind, reason },
});

/** The monitor's watermark as PostgreSQL text (full precision, never rounded through a JS Date). */
export async function readWatermark(m: EntityManager, monitorId: string): Promise<string | null> {
  const [{ watermark }] = await m.query(`SELECT watermark::text AS watermark FROM eval_monitors WHERE id = $1`, [
    monitorId,
  ]);
  return watermark;
}

/** Numbers bound parameters from `first` on: `bind(v)` adds one and returns its placeholder. */
export function binder(first: number): { bind: (v: unknown) => string; params: unknown[] } {
  const params: unknown[] = [];
  return {
    params,
    bind: (v) => {
      params.push(v);
      return `$${first + params.length - 1}`;
    },
  };
}

/** What a fire would take: how many targets, how many are new since the watermark, the newest ingestion time. */
export interface Candidates {
  n: number;
  fresh: number;
  newest: string | null;
}

/** The skip reasons of one target type, worded for it. */
export interface SkipWords {
  nothingNewSince: (watermark: string) => string;
  noMatch: string;
  unchanged: string;
}

/**
 * Why a fire with these candidates creates no run, or null when it runs: nothing to take (nothing
 * new since the watermark, or no match at all), or scope 'all' with only_if_changed and nothing
 * fresh (a manual trigger ignores only_if_changed).
 */
export function skipFor(req: SpawnRequest, stats: Candidates, words: SkipWords): SpawnSkip | null {
  const { monitor } = req;
  if (stats.n === 0) {
    return monitor.scope === 'new' && monitor.watermark
      ? spawnSkip('nothing_new', words.nothingNewSince(monitor.watermark.toISOString()))
      : spawnSkip('no_match', words.noMatch);
  }
  if (monitor.scope === 'all' && !req.manual && monitor.onlyIfChanged && stats.fresh === 0) {
    return spawnSkip('nothing_new', words.unchanged);
  }
  return null;
}

/** The fields every run a monitor spawns takes from it: name, metrics, budgets, filters as stored, sampling, link. */
export function monitorRunFields(req: SpawnRequest, model: string, sliceSize: number) {
  const { monitor } = req;
  return {
    projectId: monitor.projectId,
    name: `[Monitor] ${monitor.name}`.slice(0, 255),
    metricNames: monitor.metricNames,
    model,
    sliceSize,
    maxJudgeCalls: req.maxJudgeCalls,
    maxJudgeTokens: req.maxJudgeTokens,
    // As on the monitor (a SESSION monitor's signal_weights included: the worker reads them from the run).
    storedFilters: monitor.filters,
    samplingRate: monitor.samplingRate,
    samplingSeed: randomInt(0, 2 ** 48 - 1),
    monitorId: monitor.id,
  };
}

export type MonitorRunFields = ReturnType<typeof monitorRunFields>;

/** What one window of a fire is read against: the watermark as PostgreSQL text, the grace, and readiness. */
export interface FireWindow {
  watermark: string | null;
  graceMs: number;
  /** MONITOR_TRACE_QUIET_MS: an unfinished trace is ready once it has not changed for this long before `now`. */
  quietMs: number;
  now: Date;
  /** The newest time counted (PostgreSQL text), so the run takes exactly what was counted; null while counting. */
  until: string | null;
}

/**
 * Counts the candidate rows, each with its `newest` time (a trace's ready time, a session's newest
 * matching ingestion): how many, the newest, and how many are newer than the watermark.
 */
async function countCandidates(m: EntityManager, rows: SqlFragment, watermark: string | null): Promise<Candidates> {
  const wm = `$${rows.params.length + 1}::timestamptz`;
  const [row] = await m.query(
    `SELECT count(*)::int AS n, max(c.newest)::text AS newest,
            count(*) FILTER (WHERE ${wm} IS NULL OR c.newest > ${wm})::int AS fresh
     FROM (${rows.sql}) c`,
    [...rows.params, watermark],
  );
  return { n: row.n, fresh: row.fresh, newest: row.newest };
}

/**
 * One fire, whatever the target type: checks the model, counts the candidates in the transaction
 * that holds the monitor, skips with a reason or creates the run over exactly what was counted
 * (bounded by the newest ingestion time counted, which becomes the watermark).
 */
export abstract class FilteredRunSpawner implements MonitorRunSpawner {
  // Injected on the property, so each target type's constructor names only what it adds.
  @Inject(JudgeService) protected readonly judge!: JudgeService;
  @Inject(APP_CONFIG) protected readonly config!: AppConfig;

  protected constructor(
    readonly targetType: MonitorTargetType,
    protected readonly skips: SkipWords,
  ) {}

  async spawn(req: SpawnRequest): Promise<SpawnedRun | SpawnSkip> {
    const model = this.judge.assertModelUsable(req.monitor.model ?? undefined);
    this.assertJudgeable();
    const window: FireWindow = {
      watermark: (await readWatermark(req.manager, req.monitor.id)) ?? this.firstFireStart(req.monitor),
      graceMs: this.config.monitors.ingestGraceMs,
      quietMs: this.config.monitors.traceQuietMs,
      now: req.now,
      until: null,
    };
    const stats = await countCandidates(req.manager, this.candidates(req.monitor, window), window.watermark);
    const skipped = skipFor(req, stats, this.skips);
    if (skipped) return skipped;
    const fields = monitorRunFields(req, model, this.config.evalRuns.jobSliceSize);
    const run = await this.create(req, fields, { ...window, until: stats.newest });
    if (!run) return spawnSkip('no_match', this.skips.noMatch);
    return { run, watermark: stats.newest };
  }

  /**
   * Where the first fire of a scope 'new' monitor starts: MONITOR_FIRST_FIRE_WINDOW_MS before now,
   * not the project's whole history (one tenant's 1,330 new monitors each took 660 runs' worth of
   * judge calls; issue 22, finding 3), unless the monitor asks for history with filters.date_from.
   */
  private firstFireStart(monitor: MonitorEntity): string | null {
    if (monitor.scope !== 'new' || (monitor.filters as Record<string, unknown>).date_from !== undefined) return null;
    return new Date(Date.now() - this.config.tenants.monitorFirstFireWindowMs).toISOString();
  }

  /** Throws the 422-mapped error when what the metrics need cannot be judged (default: nothing more to check). */
  protected assertJudgeable(): void {}

  /** The targets the fire would take, one row each with its `newest` time (see countCandidates). */
  protected abstract candidates(monitor: MonitorEntity, window: FireWindow): SqlFragment;

  /** Creates the run in `req.manager`'s transaction over the candidates up to `window.until`; null when none is left. */
  protected abstract create(
    req: SpawnRequest,
    fields: MonitorRunFields,
    window: FireWindow,
  ): Promise<EvalRunEntity | null>;
}
