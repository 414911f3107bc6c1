import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import type { EvalRunEntity } from '../eval-runs/entities/eval-run.entity';
import { EvalRunsProducer } from '../eval-runs/eval-runs.producer';
import { nextSlot, parseCadence } from './cadence';
import { MonitorEntity, MonitorStatus } from './entities/monitor.entity';
import { FaultInjector } from '../../common/faults/fault-injector';
import { MONITOR_FAULTS } from './monitor-clock';
import { MonitorMetrics } from '../operators/monitor-metrics';
import { OrgQuotaService } from '../quotas/org-quotas.service';
import { monitorNotFound, nothingToTrigger } from './monitors.errors';
import { spawnSkip, type MonitorRunSpawner, type SpawnedRun, type SpawnSkip } from './spawners/run-spawner';
import { SessionRunSpawner } from './spawners/session-run.spawner';
import { TraceRunSpawner } from './spawners/trace-run.spawner';

/** What one due slot of one monitor became. */
export interface FireResult {
  monitorId: string;
  /** The slot that was due (next_run_at before the fire). */
  slot: Date;
  /** Null when the monitor was paused because its cadence has no next slot. */
  nextRunAt: Date | null;
  runId: string | null;
  skipReason: string | null;
}

/** At most this many monitors fired per tick and scheduler, so a tick stays short. */
const MAX_FIRES_PER_TICK = 200;

const startOfUtcDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));

/**
 * Fires monitors. A due monitor is claimed with `FOR UPDATE SKIP LOCKED` and, in the same
 * transaction, spawns its run (or records why not) and moves next_run_at to its first slot after
 * now: any number of schedulers on any connections fire each slot once, a slot missed during
 * downtime collapses into one catch-up fire, and a PAUSED monitor (status is re-read under the
 * lock) never fires. Redis is only told about the run after the commit; if that fails, the
 * eval-run sweeper enqueues it.
 */
@Injectable()
export class MonitorFiring {
  private readonly logger = new Logger(MonitorFiring.name);
  private readonly spawners: Map<string, MonitorRunSpawner>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    trace: TraceRunSpawner,
    session: SessionRunSpawner,
    private readonly producer: EvalRunsProducer,
    private readonly metrics: MonitorMetrics,
    private readonly quotas: OrgQuotaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MONITOR_FAULTS) private readonly faults: FaultInjector,
  ) {
    this.spawners = new Map<string, MonitorRunSpawner>([trace, session].map((s) => [s.targetType, s]));
  }

  /** Fires every monitor due at `now`, one transaction each, on `ds` (its own connections). */
  async tick(now: Date, ds: DataSource = this.dataSource): Promise<FireResult[]> {
    const results: FireResult[] = [];
    for (let i = 0; i < MAX_FIRES_PER_TICK; i++) {
      const result = await this.fireOneDue(now, ds);
      if (!result) break;
      results.push(result);
    }
    return results;
  }

  /** Claims one due ACTIVE monitor nobody else holds and fires it; null when none is left. */
  async fireOneDue(now: Date, ds: DataSource = this.dataSource): Promise<FireResult | null> {
    const fired = await ds.transaction(async (m) => {
      const [row] = await m.query(
        `SELECT id FROM eval_monitors WHERE status = 'ACTIVE' AND next_run_at <= $1
         ORDER BY next_run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [now],
      );
      if (!row) return null;
      const monitor = await m.getRepository(MonitorEntity).findOneByOrFail({ id: row.id });
      const slot = monitor.nextRunAt!;
      const nextRunAt = this.nextRunOf(monitor, now);
      if (!nextRunAt) return this.pauseBrokenCadence(m, monitor, slot, now);
      let outcome: SpawnedRun | SpawnSkip;
      await m.query('SAVEPOINT monitor_fire');
      try {
        outcome = await this.fireLocked(m, monitor, now, false);
      } catch (error) {
        // The slot is consumed either way: a failing monitor must not be retried every tick.
        await m.query('ROLLBACK TO SAVEPOINT monitor_fire');
        this.metrics.failed('spawn');
        this.logger.warn({ err: error, monitorId: monitor.id }, 'Monitor fire failed');
        outcome = { skipped: { kind: 'failed', reason: `Fire failed: ${(error as Error).message}` } };
        await this.recordSkip(m, monitor.id, outcome.skipped.reason, now);
      }
      // Tests crash or fail here: the run exists but nothing is committed, so the slot must stay due.
      this.faults.hit('monitor_fire');
      await m.query(`UPDATE eval_monitors SET next_run_at = $2 WHERE id = $1`, [monitor.id, nextRunAt]);
      return { monitor, slot, nextRunAt, outcome };
    });
    if (!fired) return null;
    const { monitor, slot, nextRunAt, outcome } = fired;
    if ('run' in outcome) {
      this.metrics.fired('scheduled', monitor.targetType);
      await this.dispatch(outcome.run);
    } else if (outcome.skipped.kind !== 'failed') {
      this.metrics.skipped(outcome.skipped.kind);
    }
    return {
      monitorId: monitor.id,
      slot,
      nextRunAt,
      runId: 'run' in outcome ? outcome.run.id : null,
      skipReason: 'run' in outcome ? null : outcome.skipped.reason,
    };
  }

  /** The monitor's next slot, or null when its cadence throws (an error contained to this monitor). */
  private nextRunOf(monitor: MonitorEntity, now: Date): Date | null {
    try {
      return nextSlot(parseCadence(monitor.cadence), monitor.scheduleAnchor, now);
    } catch (error) {
      this.logger.warn({ err: error, monitorId: monitor.id }, 'Monitor cadence failed; monitor paused');
      return null;
    }
  }

  /**
   * A cadence that throws would leave the monitor due at the head of the queue and stop every other
   * tenant's fires behind it: it is paused with the reason instead (issue 22, finding 7).
   */
  private async pauseBrokenCadence(m: EntityManager, monitor: MonitorEntity, slot: Date, now: Date) {
    const reason = `Paused: its cadence ${monitor.cadence} has no next slot.`;
    await m.query(
      `UPDATE eval_monitors SET status = 'PAUSED', next_run_at = NULL, last_skip_reason = $2, last_skipped_at = $3
       WHERE id = $1`,
      [monitor.id, reason, now],
    );
    this.metrics.failed('spawn');
    const outcome: SpawnSkip = { skipped: { kind: 'failed', reason } };
    return { monitor, slot, nextRunAt: null, outcome };
  }

  /**
   * A manual trigger: fires now, whatever the status (a PAUSED monitor stays PAUSED) and the
   * schedule (next_run_at is left alone). Nothing to evaluate is a 422 naming the reason.
   */
  async trigger(projectId: string, monitorId: string, now: Date): Promise<EvalRunEntity> {
    const outcome = await this.dataSource.transaction(async (m) => {
      const monitor = await m
        .getRepository(MonitorEntity)
        .createQueryBuilder('m')
        .setLock('pessimistic_write')
        .where('m.id = :monitorId AND m.project_id = :projectId', { monitorId, projectId })
        .getOne();
      if (!monitor) throw monitorNotFound(monitorId);
      return this.fireLocked(m, monitor, now, true);
    });
    if ('skipped' in outcome) throw nothingToTrigger(outcome.skipped.reason);
    this.metrics.fired('manual', outcome.run.targetType);
    await this.dispatch(outcome.run);
    return outcome.run;
  }

  /** Spawns (or skips) under the monitor's row lock and records the outcome on the monitor. */
  private async fireLocked(
    m: EntityManager,
    monitor: MonitorEntity,
    now: Date,
    manual: boolean,
  ): Promise<SpawnedRun | SpawnSkip> {
    if (!manual && monitor.status !== MonitorStatus.ACTIVE) {
      return { skipped: { kind: 'paused', reason: 'The monitor is PAUSED.' } };
    }
    const budget = await this.budget(m, monitor, now);
    let outcome: SpawnedRun | SpawnSkip;
    if ('skipped' in budget) outcome = budget;
    else {
      const spawner = this.spawners.get(monitor.targetType);
      if (!spawner) throw new Error(`No run spawner for target type ${monitor.targetType}`);
      outcome =
        (await this.runQuotaSkip(m, monitor, manual)) ??
        (await spawner.spawn({ monitor, manager: m, manual, now, ...budget }));
    }
    if ('skipped' in outcome) {
      if (!manual) await this.recordSkip(m, monitor.id, outcome.skipped.reason, now);
      return outcome;
    }
    await m.query(
      `UPDATE eval_monitors SET last_run_at = $2, last_run_id = $3,
              watermark = GREATEST(watermark, $4::timestamptz), updated_at = now()
       WHERE id = $1`,
      [monitor.id, now, outcome.run.id, outcome.watermark],
    );
    return outcome;
  }

  /**
   * A monitor's run counts in its organization's runs in flight (QUOTA_RUNS_IN_FLIGHT_PER_ORG), checked
   * under the quota's lock in the fire's transaction: a scheduled fire over quota is a recorded skip
   * (the next slot tries again), a manual trigger the 429 a run creation gets.
   */
  private async runQuotaSkip(m: EntityManager, monitor: MonitorEntity, manual: boolean): Promise<SpawnSkip | null> {
    const refusal = await this.quotas.refusalIn(m, await this.quotas.orgOfProject(monitor.projectId), 'runsInFlight');
    if (!refusal) return null;
    if (manual) throw refusal;
    return spawnSkip('quota', `${refusal.message} This slot was skipped.`);
  }

  private recordSkip(m: EntityManager, monitorId: string, reason: string, now: Date): Promise<unknown> {
    return m.query(`UPDATE eval_monitors SET last_skip_reason = $2, last_skipped_at = $3 WHERE id = $1`, [
      monitorId,
      reason,
      now,
    ]);
  }

  /**
   * The run's budgets: the monitor's per-run budgets (else the configured defaults), capped by what
   * is left of its per-day caps. Unfinished runs count with their whole budget (reserved), so
   * overlapping runs cannot exceed the day's cap together; finished ones with the calls they made
   * (judge_calls_reserved also counts calls whose results a cancel dropped). A run's budget holds
   * per judge call (RunBudget), so the caps hold too.
   */
  private async budget(
    m: EntityManager,
    monitor: MonitorEntity,
    now: Date,
  ): Promise<{ maxJudgeCalls: number | null; maxJudgeTokens: number | null } | SpawnSkip> {
    const { defaultMaxJudgeCalls, defaultMaxJudgeTokens } = this.config.evalRuns;
    let maxJudgeCalls = monitor.maxJudgeCalls ?? defaultMaxJudgeCalls ?? null;
    let maxJudgeTokens = monitor.maxJudgeTokens ?? defaultMaxJudgeTokens ?? null;
    if (monitor.maxJudgeCallsPerDay === null && monitor.maxJudgeTokensPerDay === null) {
      return { maxJudgeCalls, maxJudgeTokens };
    }
    const [used] = await m.query(
      `SELECT coalesce(sum(CASE WHEN status IN ('PENDING', 'RUNNING') AND max_judge_calls IS NOT NULL
                           THEN greatest(judge_calls, judge_calls_reserved, max_judge_calls)
                           ELSE greatest(judge_calls, judge_calls_reserved) END), 0)::bigint AS calls,
              coalesce(sum(CASE WHEN status IN ('PENDING', 'RUNNING') AND max_judge_tokens IS NOT NULL
                           THEN greatest(judge_input_tokens + judge_output_tokens, judge_tokens_reserved, max_judge_tokens)
                           ELSE greatest(judge_input_tokens + judge_output_tokens, judge_tokens_reserved) END), 0)::bigint AS tokens
       FROM eval_runs WHERE monitor_id = $1 AND created_at >= $2`,
      [monitor.id, startOfUtcDay(now)],
    );
    const caps: Array<[number | null, number, string]> = [
      [monitor.maxJudgeCallsPerDay, Number(used.calls), 'judge-call'],
      [monitor.maxJudgeTokensPerDay, Number(used.tokens), 'judge-token'],
    ];
    for (const [cap, spent, what] of caps) {
      if (cap !== null && spent >= cap) {
        return {
          skipped: {
            kind: 'daily_cap',
            reason: `Daily ${what} cap reached: ${spent} of ${cap} used today (UTC, runs in flight counted at their budget).`,
          },
        };
      }
    }
    if (monitor.maxJudgeCallsPerDay !== null) {
      const left = monitor.maxJudgeCallsPerDay - Number(used.calls);
      maxJudgeCalls = maxJudgeCalls === null ? left : Math.min(maxJudgeCalls, left);
    }
    if (monitor.maxJudgeTokensPerDay !== null) {
      const left = monitor.maxJudgeTokensPerDay - Number(used.tokens);
      maxJudgeTokens = maxJudgeTokens === null ? left : Math.min(maxJudgeTokens, left);
    }
    return { maxJudgeCalls, maxJudgeTokens };
  }

  private async dispatch(run: EvalRunEntity): Promise<void> {
    const queued = await this.producer.enqueueRun(run.id, true);
    if (!queued) this.metrics.failed('dispatch');
  }
}
