import { Inject, Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { KeyedGate } from '../../common/rate/keyed-gate';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';

/**
 * Writes to an existing trace (merges, span appends, PATCH) lock its row, so concurrent writers of
 * one trace queue on that lock while each holds a pooled connection: 60 of them took the whole pool
 * (issue 22, finding 1). Here, per process, one writer of a trace holds a connection, up to
 * TRACE_WRITERS_WAITING more wait without one, and the rest get a 429 at once; and one project's
 * trace writes hold at most PROJECT_WRITES_IN_FLIGHT connections. Across processes the row lock
 * wait is bounded by DATABASE_LOCK_TIMEOUT_MS (then a 409).
 */
@Injectable()
export class TraceWriteGate {
  private readonly traces: KeyedGate;
  private readonly projects: KeyedGate;
  private readonly waiting: number;
  private readonly perProject: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.waiting = config.tenants.traceWritersWaiting;
    this.perProject = config.tenants.projectWritesInFlight;
    this.traces = new KeyedGate(1, this.waiting);
    // A project's writers beyond its share wait in memory; a bounded queue keeps that memory bounded too.
    this.projects = new KeyedGate(this.perProject, this.perProject * 16);
  }

  async run<T>(projectId: string, traceId: string, work: () => Promise<T>): Promise<T> {
    const releaseTrace = await this.enter(
      this.traces,
      traceId,
      `Too many concurrent writes to trace ${traceId}: one at a time, at most ${this.waiting} waiting (TRACE_WRITERS_WAITING)`,
    );
    try {
      const releaseProject = await this.enter(
        this.projects,
        projectId,
        `Too many concurrent trace writes in this project: at most ${this.perProject} at once (PROJECT_WRITES_IN_FLIGHT)`,
      );
      try {
        return await work();
      } finally {
        releaseProject();
      }
    } finally {
      releaseTrace();
    }
  }

  private enter(gate: KeyedGate, key: string, summary: string): Promise<() => void> {
    const entered = gate.tryEnter(key);
    if (entered) return entered;
    throw new DomainError(ErrorCode.RATE_LIMITED, `${summary}. Retry after 1 seconds.`, {
      error: summary,
      retryAfterSeconds: 1,
    });
  }
}
