import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import type { OrgQuotas as QuotaLimits } from '../../config/tenant-limits';
import type { JudgeQuota } from './judge-quota';

/** Quotas counted in PostgreSQL (what an organization holds now). */
export type HeldQuota = 'projects' | 'apiKeys' | 'monitors' | 'runsInFlight';
export type QuotaName = HeldQuota | 'judgeCallsPerDay' | 'judgeTokensPerDay';

/** One quota as /usage shows it: 0 as limit means unlimited. */
export interface QuotaUse {
  name: QuotaName;
  variable: string;
  limit: number;
  used: number;
}

const VARIABLES: Record<QuotaName, string> = {
  projects: 'QUOTA_PROJECTS_PER_ORG',
  apiKeys: 'QUOTA_API_KEYS_PER_ORG',
  monitors: 'QUOTA_MONITORS_PER_ORG',
  runsInFlight: 'QUOTA_RUNS_IN_FLIGHT_PER_ORG',
  judgeCallsPerDay: 'QUOTA_JUDGE_CALLS_PER_DAY',
  judgeTokensPerDay: 'QUOTA_JUDGE_TOKENS_PER_DAY',
};

const LABELS: Record<QuotaName, string> = {
  projects: 'projects per organization',
  apiKeys: 'active API keys per organization',
  monitors: 'monitors per organization',
  runsInFlight: 'eval runs in flight (pending or running) per organization',
  judgeCallsPerDay: 'judge calls per organization per day (UTC)',
  judgeTokensPerDay: 'judge tokens per organization per day (UTC)',
};

/** $1 = organization id; each count is served by an index on the org or project column. */
const COUNTS: Record<HeldQuota, string> = {
  projects: `SELECT count(*)::int AS n FROM projects WHERE org_id = $1`,
  apiKeys: `SELECT count(*)::int AS n FROM api_keys WHERE org_id = $1 AND is_active AND (expires_at IS NULL OR expires_at > now())`,
  monitors: `SELECT count(*)::int AS n FROM eval_monitors m JOIN projects p ON p.id = m.project_id WHERE p.org_id = $1`,
  runsInFlight: `SELECT count(*)::int AS n FROM eval_runs r JOIN projects p ON p.id = r.project_id
                 WHERE p.org_id = $1 AND r.status IN ('PENDING', 'RUNNING')`,
};

/**
 * Takes one judge call of the day unless a daily quota is spent. KEYS[1] the day's hash;
 * ARGV: calls limit, tokens limit (0 = unlimited), ttl in seconds. Returns '' or the spent quota.
 */
const RESERVE_CALL = `
local calls = tonumber(redis.call('HGET', KEYS[1], 'calls') or '0')
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0')
if tonumber(ARGV[1]) > 0 and calls >= tonumber(ARGV[1]) then return 'judgeCallsPerDay' end
if tonumber(ARGV[2]) > 0 and tokens >= tonumber(ARGV[2]) then return 'judgeTokensPerDay' end
redis.call('HINCRBY', KEYS[1], 'calls', 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return ''`;

const DAY_MS = 86_400_000;

/**
 * Per-organization quotas (issue 22, finding 4). Held quotas are checked and the creation done under
 * a transaction-scoped advisory lock of (organization, quota), so concurrent creations cannot pass
 * the limit together. Judge calls are reserved in Redis before each call (one Lua step: check and
 * take), tokens are added after it; refusals are 429s naming the quota and its variable.
 */
@Injectable()
export class OrgQuotaService implements OnModuleDestroy {
  private readonly limits: QuotaLimits;
  private readonly prefix: string;
  private redisClient?: Redis;
  private readonly orgOfProjectCache = new Map<string, string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.limits = config.tenants.quotas;
    this.prefix = `${config.redis.queuePrefix}:quota`;
  }

  /** Runs `create` only while the organization holds fewer than its quota of `quota`. */
  async within<T>(orgId: string, quota: HeldQuota, create: () => Promise<T>): Promise<T> {
    if (this.limits[quota] === 0) return create();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const refusal = await this.refusalIn(runner.manager, orgId, quota);
      if (refusal) throw refusal;
      const created = await create();
      await runner.commitTransaction();
      return created;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * The same check as `within`, inside a caller's transaction (a monitor fire, which creates its run
   * under the monitor's row lock): takes the (organization, quota) lock until that transaction ends
   * and returns the 429 error to throw or record when the organization is at its limit, else null.
   */
  async refusalIn(m: EntityManager, orgId: string, quota: HeldQuota): Promise<DomainError | null> {
    const limit = this.limits[quota];
    if (limit === 0) return null;
    await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`quota:${quota}:${orgId}`]);
    const [{ n }] = (await m.query(COUNTS[quota], [orgId])) as { n: number }[];
    return n >= limit ? this.exceeded(quota) : null;
  }

  /** The organization of a project (cached: a project never changes organization). */
  async orgOfProject(projectId: string): Promise<string> {
    const cached = this.orgOfProjectCache.get(projectId);
    if (cached) return cached;
    const [row] = (await this.dataSource.query(`SELECT org_id FROM projects WHERE id = $1`, [projectId])) as {
      org_id: string;
    }[];
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Project ${projectId} not found.`);
    if (this.orgOfProjectCache.size > 10_000) this.orgOfProjectCache.clear();
    this.orgOfProjectCache.set(projectId, row.org_id);
    return row.org_id;
  }

  /** Takes one judge call of the organization's day; throws the 429 when a daily quota is spent. */
  async reserveJudgeCall(orgId: string): Promise<void> {
    const { judgeCallsPerDay, judgeTokensPerDay } = this.limits;
    if (judgeCallsPerDay === 0 && judgeTokensPerDay === 0) return;
    const spent = (await this.redis.eval(
      RESERVE_CALL,
      1,
      this.dayKey(orgId),
      judgeCallsPerDay,
      judgeTokensPerDay,
      2 * 86_400,
    )) as string;
    if (spent) throw this.exceeded(spent as QuotaName, secondsToMidnight());
  }

  /** Judge-call accounting of a project's organization, for EvaluateTraceOptions.judgeQuota. */
  judgeQuotaOf(projectId: string): JudgeQuota {
    return {
      reserve: async () => this.reserveJudgeCall(await this.orgOfProject(projectId)),
      record: async (tokens) => this.recordJudgeTokens(await this.orgOfProject(projectId), tokens),
    };
  }

  /** Adds the tokens a judge call used to the organization's day. */
  async recordJudgeTokens(orgId: string, tokens: number): Promise<void> {
    if (this.limits.judgeTokensPerDay === 0 && this.limits.judgeCallsPerDay === 0) return;
    if (tokens > 0) await this.redis.hincrby(this.dayKey(orgId), 'tokens', Math.round(tokens));
  }

  /** Every quota of the organization with its limit and use (for /usage). */
  async report(orgId: string): Promise<QuotaUse[]> {
    const held = await Promise.all(
      (Object.keys(COUNTS) as HeldQuota[]).map(async (name) => {
        const [{ n }] = (await this.dataSource.query(COUNTS[name], [orgId])) as { n: number }[];
        return this.use(name, n);
      }),
    );
    const day = await this.redis.hgetall(this.dayKey(orgId));
    return [
      ...held,
      this.use('judgeCallsPerDay', Number(day.calls ?? 0)),
      this.use('judgeTokensPerDay', Number(day.tokens ?? 0)),
    ];
  }

  async onModuleDestroy(): Promise<void> {
    await this.redisClient?.quit().catch(() => undefined);
  }

  private use(name: QuotaName, used: number): QuotaUse {
    return { name, variable: VARIABLES[name], limit: this.limits[name], used };
  }

  private exceeded(quota: QuotaName, retryAfterSeconds?: number): DomainError {
    const summary = `Quota exceeded: ${LABELS[quota]} is ${this.limits[quota]} (${VARIABLES[quota]})`;
    return new DomainError(ErrorCode.RATE_LIMITED, `${summary}. An operator can raise it.`, {
      error: summary,
      quota,
      ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    });
  }

  private dayKey(orgId: string): string {
    return `${this.prefix}:judge:${orgId}:${new Date().toISOString().slice(0, 10)}`;
  }

  private get redis(): Redis {
    this.redisClient ??= new Redis(this.config.redis.url, { maxRetriesPerRequest: 2, lazyConnect: false });
    return this.redisClient;
  }
}

function secondsToMidnight(): number {
  return Math.ceil((DAY_MS - (Date.now() % DAY_MS)) / 1000);
}
