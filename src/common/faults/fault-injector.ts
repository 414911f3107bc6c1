import { Inject, Injectable, Logger } from '@nestjs/common';
import { writeSync } from 'node:fs';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';

/** Named places in the worker where a test can make things fail. */
/** `monitor_fire` is hit by the monitor scheduler (its own injector: MONITOR_FAULTS), after a fire's spawn, before its commit. */
export const FAULT_POINTS = ['claim', 'load', 'judge', 'score_write', 'finish', 'release', 'monitor_fire'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** What an armed fault does at its hit: throw once, or SIGKILL the whole process (a crash at a known point). */
export type FaultAction = 'throw' | 'kill';

export class InjectedFault extends Error {
  constructor(readonly point: FaultPoint) {
    super(`injected fault at ${point}`);
    this.name = 'InjectedFault';
  }
}

interface Armed {
  point: FaultPoint;
  /** Fires at this hit of the point (1-based), once. */
  nth: number;
  action: FaultAction;
}

/**
 * Deterministic fault injection for tests. The worker calls `hit(point)` at each named point
 * (after the claim, load, score write and finish statements commit; before each judge call;
 * before a release); an armed point throws `InjectedFault` (or SIGKILLs the process) at its
 * n-th hit, once. Inert unless NODE_ENV=test: arming is refused and `hit` only returns.
 *
 * Armed from EVAL_FAULTS (`claim@1,judge@3,kill@judge:10`: point@n throws at the n-th hit,
 * kill@point:n kills the process there) or, in-process, with `arm()`.
 */
@Injectable()
export class FaultInjector {
  private readonly logger = new Logger(FaultInjector.name);
  private readonly enabled: boolean;
  private armed: Armed[] = [];
  private readonly hits = new Map<FaultPoint, number>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.enabled = config.env === 'test';
    if (config.evalRuns.faults) {
      if (!this.enabled) this.logger.warn('EVAL_FAULTS is ignored outside NODE_ENV=test');
      else for (const spec of parseFaults(config.evalRuns.faults)) this.arm(spec.point, spec.nth, spec.action);
    }
  }

  arm(point: FaultPoint, nth = 1, action: FaultAction = 'throw'): void {
    if (!this.enabled) throw new Error('Fault injection is only available with NODE_ENV=test');
    this.armed.push({ point, nth: this.count(point) + nth, action });
  }

  reset(): void {
    this.armed = [];
    this.hits.clear();
  }

  /** Armed faults that have not fired yet. */
  pending(): number {
    return this.armed.length;
  }

  /** How often `point` was passed so far. */
  count(point: FaultPoint): number {
    return this.hits.get(point) ?? 0;
  }

  hit(point: FaultPoint): void {
    if (!this.enabled) return;
    const n = this.count(point) + 1;
    this.hits.set(point, n);
    const i = this.armed.findIndex((a) => a.point === point && a.nth === n);
    if (i < 0) return;
    const [fault] = this.armed.splice(i, 1);
    if (fault.action === 'kill') {
      // Written synchronously: the logger's buffered output would die with the process.
      writeSync(
        2,
        `${JSON.stringify({ level: 40, context: 'FaultInjector', point, hit: n, msg: 'Injected fault: killing this worker' })}\n`,
      );
      process.kill(process.pid, 'SIGKILL');
    }
    throw new InjectedFault(point);
  }
}

/** Parses EVAL_FAULTS: `point@n` (throw) or `kill@point:n`. Unknown points are an error. */
export function parseFaults(spec: string): Armed[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const kill = /^kill@([a-z_]+):(\d+)$/.exec(entry);
      const raise = /^([a-z_]+)@(\d+)$/.exec(entry);
      const m = kill ?? raise;
      if (!m || !(FAULT_POINTS as readonly string[]).includes(m[1]) || Number(m[2]) < 1) {
        throw new Error(
          `EVAL_FAULTS: cannot parse "${entry}" (point@n or kill@point:n; points: ${FAULT_POINTS.join(', ')})`,
        );
      }
      return { point: m[1] as FaultPoint, nth: Number(m[2]), action: kill ? ('kill' as const) : ('throw' as const) };
    });
}
