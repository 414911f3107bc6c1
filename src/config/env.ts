import { z } from 'zod';
import { bool, decimal, int, optionalInt, text, url } from './env-fields';
import { buildJudgeConfig, JudgeConfig, judgeShape } from './judge-config';
import { weakSecrets } from './secrets';
import { buildTenantLimits, TenantLimits, tenantLimitsShape } from './tenant-limits';

export type { JudgeProviderKey, ProviderLimits, VertexSettings } from './judge-config';
export { MIN_SECRET_BYTES } from './secrets';

/**
 * The one place that reads process.env. Every variable the service knows is declared here,
 * validated once, and turned into a typed, frozen AppConfig. Names are a contract with
 * tooling outside the project: rename none of them.
 */

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(8000, 1, 65535),
  API_PROCESSES: int(1, 1, 256),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: int(10 * 1024 * 1024, 1024),
  API_KEY_CACHE_TTL_MS: int(1000, 0, 60_000),
  API_KEY_ROTATION_GRACE_SECONDS: int(86_400, 0, 30 * 86_400),
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgresql://postgres@127.0.0.1:5432/pandaprobe'),
  DATABASE_POOL_SIZE: int(20, 1, 500),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]{1,40}$/)
    .default('pp'),
  RUN_WORKER_IN_PROCESS: bool(false),

  JWT_SECRET: text(),
  JWT_JWKS_URI: url(['http:', 'https:']),
  JWT_ISSUER: text(),
  JWT_AUDIENCE: text(),
  ADMIN_TOKEN: text(),
  AUTH_ENABLED: bool(true),
  MAX_ORG_MEMBERS: optionalInt(1),
  ORG_PURGE_BATCH_SIZE: int(1000, 1, 100_000),

  ...judgeShape,

  RETENTION_DAYS: int(0, 0, 36_500),
  RETENTION_INTERVAL_MS: int(600_000, 0),
  RETENTION_BATCH_SIZE: int(500, 1, 100_000),
  RETENTION_BATCH_PAUSE_MS: int(20, 0, 60_000),

  EVAL_WORKER_CONCURRENCY: int(32, 1, 1024),
  EVAL_SWEEP_INTERVAL_MS: int(15_000, 100),
  EVAL_ITEM_LEASE_MS: int(60_000, 1000),
  EVAL_JOB_SLICE_SIZE: int(500, 1, 100_000),
  EVAL_JOB_CONCURRENCY: int(16, 1, 256),
  EVAL_WORKER_LOAD_BYTES: int(24 * 1024 * 1024, 1024 * 1024),
  EVAL_PROJECT_SLICES_IN_FLIGHT: int(4, 1, 1024),
  EVAL_SHUTDOWN_GRACE_MS: int(20_000, 0),
  EVAL_MAX_JUDGE_CALLS: optionalInt(1),
  EVAL_MAX_JUDGE_TOKENS: optionalInt(1),
  EVAL_FAULTS: text(),

  MONITOR_SCHEDULER_ENABLED: bool(true),
  MONITOR_TICK_MS: int(15_000, 100),
  MONITOR_INGEST_GRACE_MS: int(300_000, 0, 86_400_000),
  MONITOR_TRACE_QUIET_MS: int(300_000, 0, 7 * 86_400_000),

  RATE_LIMIT_WINDOW_MS: int(60_000, 1000),
  RATE_LIMIT_DEFAULT: int(200, 1),
  RATE_LIMIT_INGEST: decimal(100),
  RATE_LIMIT_INGEST_BURST: int(1000, 1),
  RATE_LIMIT_EVAL_RUNS: int(50, 1),
  RATE_LIMIT_MONITOR_TRIGGER: int(10, 1),
  RATE_LIMIT_CLI_EXCHANGE: int(20, 1),
  RATE_LIMIT_INVITATIONS: int(10, 1),

  INIT_ORG_NAME: text(),
  INIT_PROJECT_NAME: text(),
  INIT_API_KEY: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      if (!/^sk_pp_[0-9a-f]{64}$/.test(v.trim())) {
        ctx.addIssue({ code: 'custom', message: 'must look like sk_pp_ followed by 64 lowercase hex characters' });
        return z.NEVER;
      }
      return v.trim();
    }),
  INIT_USER_EXTERNAL_ID: text(),
  INIT_USER_EMAIL: text(),

  // --- Security and bounds (docs/security.md lists each one) ---
  CORS_ORIGINS: text(),
  JWT_REQUIRE_EXP: bool(true),
  RATE_LIMIT_PROJECT_FACTOR: int(5, 1, 1000),
  PROJECTS_AUTO_CREATED_PER_HOUR: int(20, 0),
  INIT_CREATE: bool(false),
  MAX_SPANS_PER_TRACE: int(10_000, 1),
  MAX_TRACE_BYTES: int(20 * 1024 * 1024, 1024),
  MAX_RESPONSE_BYTES: int(20 * 1024 * 1024, 1024),
  LARGE_READ_BYTES: int(1024 * 1024, 0),
  MAX_LARGE_READS: int(2, 1),
  MAX_LARGE_BODIES: int(2, 1),
  ...tenantLimitsShape,
});

export type RawEnv = z.infer<typeof schema>;

/** Every variable the service reads. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof RawEnv)[];

export interface AppConfig {
  env: RawEnv['NODE_ENV'];
  port: number;
  /** HTTP processes the API entry runs (node:cluster, one listening socket). */
  apiProcesses: number;
  logLevel: RawEnv['LOG_LEVEL'];
  bodyLimitBytes: number;
  database: { url: string; poolSize: number };
  redis: { url: string; queuePrefix: string };
  runWorkerInProcess: boolean;
  /** How long an API-key lookup is reused in a process; revocations also reach every process through Redis. 0 = no cache. */
  apiKeyCacheTtlMs: number;
  /** How long a rotated-out key keeps working after its rotation, so integrations can switch. */
  apiKeyRotationGraceMs: number;
  auth: {
    jwtSecret?: string;
    jwksUri?: string;
    issuer?: string;
    audience?: string;
    adminToken?: string;
    /** False only in development (AUTH_ENABLED=false): requests without credentials act as one local user. */
    enabled: boolean;
  };
  /** Organizations (docs/identity.md). */
  organizations: {
    /** Seats (members + pending invitations) per organization; undefined: no limit. */
    maxMembers?: number;
    /** Rows deleted per statement when an organization or project is deleted. */
    purgeBatchSize: number;
  };
  judge: JudgeConfig;
  /** Trace retention, applied by worker processes (docs/retention.md). */
  retention: {
    /** Default for projects without their own setting; 0: keep forever. */
    days: number;
    /** How often a worker sweeps; 0: never (tests sweep explicitly). */
    intervalMs: number;
    /** Traces deleted per statement (with their spans and scores). */
    batchSize: number;
    /** Pause between batches, so the deletion leaves room for ingestion and runs. */
    batchPauseMs: number;
  };
  evalRuns: {
    workerConcurrency: number;
    sweepIntervalMs: number;
    itemLeaseMs: number;
    /** Ledger items per Bull job. */
    jobSliceSize: number;
    /** Bull jobs (slices) a worker process holds at once; they share workerConcurrency slots. */
    jobConcurrency: number;
    /** Bytes of traces (traces.size_bytes) a worker process holds loaded at once, over all its slices. */
    loadBytes: number;
    /** Slices of one project queued or active at once, over all its runs (fair scheduling). */
    projectSlicesInFlight: number;
    shutdownGraceMs: number;
    /** Budgets a run gets when its request names none (undefined: unlimited). */
    defaultMaxJudgeCalls?: number;
    defaultMaxJudgeTokens?: number;
    /** Test-only fault injection spec (read only when NODE_ENV=test); see FaultInjector. */
    faults?: string;
  };
  monitors: {
    /** Whether this process (a worker, or the API with an in-process worker) fires due monitors. */
    schedulerEnabled: boolean;
    tickMs: number;
    /** How far before its watermark a monitor looks again, for ingestion transactions that committed late. */
    ingestGraceMs: number;
    /** A trace neither COMPLETED nor ERROR is ready for monitors once it has not changed for this long. */
    traceQuietMs: number;
  };
  rateLimits: {
    windowMs: number;
    default: number;
    /** Ingestion: a token bucket per project refilled at `ingest` requests per second (0 = off), holding `ingestBurst`. */
    ingest: number;
    ingestBurst: number;
    evalRuns: number;
    monitorTrigger: number;
    /** POST /cli/auth/exchange, per client IP (it takes no credentials). */
    cliExchange: number;
    /** Invitations a user creates per hour (the original's 10/hour). */
    invitationsPerHour: number;
  };
  init: {
    orgName?: string;
    projectName?: string;
    apiKey?: string;
    userExternalId?: string;
    userEmail?: string;
    create: boolean;
  };
  security: {
    corsOrigins: string[];
    jwtRequireExp: boolean;
    projectRateLimitFactor: number;
    projectsAutoCreatedPerHour: number;
  };
  bounds: {
    spansPerTrace: number;
    traceBytes: number;
    responseBytes: number;
    largeReadBytes: number;
    maxLargeReads: number;
    /** Request bodies above largeReadBytes handled at once per API process; the others wait unread. */
    maxLargeBodies: number;
  };
  /** What one tenant may hold of the shared service (docs/security.md, "Every limit"). */
  tenants: TenantLimits;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    // One problem, one line (what an operator sees first in a container log); several, a list.
    super(
      problems.length === 1
        ? `Invalid configuration: ${problems[0]}`
        : `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Validates a raw environment and builds the typed config; throws ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems = weakSecrets(e);
  if (!e.AUTH_ENABLED && e.NODE_ENV !== 'development') {
    problems.push(
      `AUTH_ENABLED: false is only allowed with NODE_ENV=development (NODE_ENV is ${e.NODE_ENV}); every request would act as one local user`,
    );
  }
  if (e.MAX_TRACE_BYTES < e.BODY_LIMIT_BYTES) {
    problems.push('MAX_TRACE_BYTES: must be at least BODY_LIMIT_BYTES (one accepted request must fit in one trace)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    apiProcesses: e.API_PROCESSES,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    redis: { url: e.REDIS_URL, queuePrefix: e.QUEUE_PREFIX },
    runWorkerInProcess: e.RUN_WORKER_IN_PROCESS,
    apiKeyCacheTtlMs: e.API_KEY_CACHE_TTL_MS,
    apiKeyRotationGraceMs: e.API_KEY_ROTATION_GRACE_SECONDS * 1000,
    auth: {
      jwtSecret: e.JWT_SECRET,
      jwksUri: e.JWT_JWKS_URI,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      adminToken: e.ADMIN_TOKEN,
      enabled: e.AUTH_ENABLED,
    },
    organizations: { maxMembers: e.MAX_ORG_MEMBERS, purgeBatchSize: e.ORG_PURGE_BATCH_SIZE },
    judge: buildJudgeConfig(e),
    retention: {
      days: e.RETENTION_DAYS,
      intervalMs: e.RETENTION_INTERVAL_MS,
      batchSize: e.RETENTION_BATCH_SIZE,
      batchPauseMs: e.RETENTION_BATCH_PAUSE_MS,
    },
    evalRuns: {
      workerConcurrency: e.EVAL_WORKER_CONCURRENCY,
      sweepIntervalMs: e.EVAL_SWEEP_INTERVAL_MS,
      itemLeaseMs: e.EVAL_ITEM_LEASE_MS,
      jobSliceSize: e.EVAL_JOB_SLICE_SIZE,
      jobConcurrency: e.EVAL_JOB_CONCURRENCY,
      loadBytes: e.EVAL_WORKER_LOAD_BYTES,
      projectSlicesInFlight: e.EVAL_PROJECT_SLICES_IN_FLIGHT,
      shutdownGraceMs: e.EVAL_SHUTDOWN_GRACE_MS,
      defaultMaxJudgeCalls: e.EVAL_MAX_JUDGE_CALLS,
      defaultMaxJudgeTokens: e.EVAL_MAX_JUDGE_TOKENS,
      faults: e.EVAL_FAULTS,
    },
    monitors: {
      schedulerEnabled: e.MONITOR_SCHEDULER_ENABLED,
      tickMs: e.MONITOR_TICK_MS,
      ingestGraceMs: e.MONITOR_INGEST_GRACE_MS,
      traceQuietMs: e.MONITOR_TRACE_QUIET_MS,
    },
    rateLimits: {
      windowMs: e.RATE_LIMIT_WINDOW_MS,
      default: e.RATE_LIMIT_DEFAULT,
      ingest: e.RATE_LIMIT_INGEST,
      ingestBurst: e.RATE_LIMIT_INGEST_BURST,
      evalRuns: e.RATE_LIMIT_EVAL_RUNS,
      monitorTrigger: e.RATE_LIMIT_MONITOR_TRIGGER,
      cliExchange: e.RATE_LIMIT_CLI_EXCHANGE,
      invitationsPerHour: e.RATE_LIMIT_INVITATIONS,
    },
    init: {
      orgName: e.INIT_ORG_NAME,
      projectName: e.INIT_PROJECT_NAME,
      apiKey: e.INIT_API_KEY,
      userExternalId: e.INIT_USER_EXTERNAL_ID,
      userEmail: e.INIT_USER_EMAIL,
      create: e.INIT_CREATE,
    },
    security: {
      corsOrigins: (e.CORS_ORIGINS ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      jwtRequireExp: e.JWT_REQUIRE_EXP,
      projectRateLimitFactor: e.RATE_LIMIT_PROJECT_FACTOR,
      projectsAutoCreatedPerHour: e.PROJECTS_AUTO_CREATED_PER_HOUR,
    },
    bounds: {
      spansPerTrace: e.MAX_SPANS_PER_TRACE,
      traceBytes: e.MAX_TRACE_BYTES,
      responseBytes: e.MAX_RESPONSE_BYTES,
      largeReadBytes: e.LARGE_READ_BYTES,
      maxLargeReads: e.MAX_LARGE_READS,
      maxLargeBodies: e.MAX_LARGE_BODIES,
    },
    tenants: buildTenantLimits(e),
  });
}
