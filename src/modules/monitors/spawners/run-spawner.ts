import type { EntityManager } from 'typeorm';
import type { EvalRunEntity } from '../../eval-runs/entities/eval-run.entity';
import type { MonitorEntity, MonitorTargetType } from '../entities/monitor.entity';

/** Why a due slot created no run; `kind` is the Prometheus label, `reason` what the monitor shows. */
export interface SpawnSkip {
  skipped: { kind: 'nothing_new' | 'no_match' | 'daily_cap' | 'paused' | 'failed'; reason: string };
}

export interface SpawnedRun {
  run: EvalRunEntity;
  /** Ingestion time of the newest target taken, as PostgreSQL text (full precision): the new watermark. */
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
