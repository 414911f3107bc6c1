import { int } from './env-fields';

/**
 * Variables that bound what one tenant can take of the shared service: database time and
 * connections, the write path, queues and per-organization quotas (issue 22; docs/security.md).
 * 0 switches a limit off where the docs say so.
 */
export const tenantLimitsShape = {
  DATABASE_STATEMENT_TIMEOUT_MS: int(30_000, 0),
  DATABASE_LOCK_TIMEOUT_MS: int(5_000, 0),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: int(60_000, 0),
  DATABASE_ACQUIRE_TIMEOUT_MS: int(5_000, 0),
  TRACE_WRITERS_WAITING: int(8, 0, 10_000),
  PROJECT_WRITES_IN_FLIGHT: int(0, 0, 500),
  INGEST_QUEUE_MAX_BYTES: int(64 * 1024 * 1024, 1024),
  MONITOR_FIRST_FIRE_WINDOW_MS: int(86_400_000, 60_000),
  AUTH_FAILURES_PER_IP: int(100, 0),
  METRICS_RUNS_REFRESH_MS: int(30_000, 0),
  QUOTA_PROJECTS_PER_ORG: int(100, 0),
  QUOTA_API_KEYS_PER_ORG: int(100, 0),
  QUOTA_MONITORS_PER_ORG: int(200, 0),
  QUOTA_RUNS_IN_FLIGHT_PER_ORG: int(50, 0),
  QUOTA_JUDGE_CALLS_PER_DAY: int(100_000, 0),
  QUOTA_JUDGE_TOKENS_PER_DAY: int(50_000_000, 0),
};

type Raw = { [K in keyof typeof tenantLimitsShape]: number } & { DATABASE_POOL_SIZE: number };

/** Per-organization quotas; 0 = unlimited. */
export interface OrgQuotas {
  projects: number;
  apiKeys: number;
  monitors: number;
  runsInFlight: number;
  judgeCallsPerDay: number;
  judgeTokensPerDay: number;
}

export interface TenantLimits {
  database: {
    statementTimeoutMs: number;
    lockTimeoutMs: number;
    idleInTransactionTimeoutMs: number;
    acquireTimeoutMs: number;
  };
  /** Trace writes (merges, span appends, PATCH): per process, one writes a trace at a time, this many wait. */
  traceWritersWaiting: number;
  /** Pooled connections one project's trace writes may hold at once, per process. */
  projectWritesInFlight: number;
  /** Bytes of new traces waiting for the batched insert, per process; beyond it a 503. */
  ingestQueueMaxBytes: number;
  /** How far back a monitor's first fire looks unless asked to backfill. */
  monitorFirstFireWindowMs: number;
  /** Failed authentications per client IP per rate-limit window before every attempt from it is a 429. */
  authFailuresPerIp: number;
  /** How old the eval-runs-by-status gauge of /metrics may be (0: counted at every scrape). */
  metricsRunsRefreshMs: number;
  quotas: OrgQuotas;
}

export function buildTenantLimits(e: Raw): TenantLimits {
  return {
    database: {
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: e.DATABASE_LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      acquireTimeoutMs: e.DATABASE_ACQUIRE_TIMEOUT_MS,
    },
    traceWritersWaiting: e.TRACE_WRITERS_WAITING,
    // A quarter of the pool by default: one tenant's writes always leave most connections to others.
    projectWritesInFlight: e.PROJECT_WRITES_IN_FLIGHT || Math.max(1, Math.floor(e.DATABASE_POOL_SIZE / 4)),
    ingestQueueMaxBytes: e.INGEST_QUEUE_MAX_BYTES,
    monitorFirstFireWindowMs: e.MONITOR_FIRST_FIRE_WINDOW_MS,
    authFailuresPerIp: e.AUTH_FAILURES_PER_IP,
    metricsRunsRefreshMs: e.METRICS_RUNS_REFRESH_MS,
    quotas: {
      projects: e.QUOTA_PROJECTS_PER_ORG,
      apiKeys: e.QUOTA_API_KEYS_PER_ORG,
      monitors: e.QUOTA_MONITORS_PER_ORG,
      runsInFlight: e.QUOTA_RUNS_IN_FLIGHT_PER_ORG,
      judgeCallsPerDay: e.QUOTA_JUDGE_CALLS_PER_DAY,
      judgeTokensPerDay: e.QUOTA_JUDGE_TOKENS_PER_DAY,
    },
  };
}
