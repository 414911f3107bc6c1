import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import type { OrgQuotas as QuotaLimits } from '../../config/tenant-limits';
import { JudgeCallLease } from './judge-call-lease';
import { JudgeDayQuota, secondsToMidnight } from './judge-day-quota';
import { NOTHING_TO_GIVE_BACK, type GiveBack, type JudgeQuota } from './judge-quota';

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
 * Per-organization quotas (issue 22, finding 4). Held quotas are checked and the creation done under
 * a transaction-scoped advisory lock of (organization, quota), so concurrent creations cannot pass
 * the limit together. Judge calls are reserved in Redis before each call (one Lua step: check and
 * take; a worker's run takes them in blocks, JudgeCallLease), tokens are added after it; refusals are
 * 429s naming the quota and its variable.
 */
@Injectable()
export class OrgQuotaService implements OnModuleDestroy {
  private readonly limits: QuotaLimits;
  private readonly prefix: string;
  private redisClient?: Redis;
  private dayQuota?: JudgeDayQuota;
  private readonly leases = new Set<JudgeCallLease>();
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
    // The transaction only holds the (organization, quota) lock: `create` commits on its own connection first.
    return this.dataSource.transaction(async (m) => {
      const refusal = await this.refusalIn(m, orgId, quota);
      if (refusal) throw refusal;
      return create();
    });
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
  async reserveJudgeCall(orgId: string): Promise<GiveBack> {
    if (this.day.unlimited) return NOTHING_TO_GIVE_BACK;
    const { key } = await this.day.take(orgId, 1, (quota) => this.exceeded(quota, secondsToMidnight()));
    return () => this.day.giveBack(key, 1);
  }

  /** Judge-call accounting of a project's organization, one Redis call per judge call (a preview). */
  judgeQuotaOf(projectId: string): JudgeQuota {
    return {
      reserve: async () => this.reserveJudgeCall(await this.orgOfProject(projectId)),
      record: async (tokens) => this.recordJudgeTokens(await this.orgOfProject(projectId), tokens),
    };
  }

  /**
   * Judge-call accounting for many calls of a project's organization in this process (a run's
   * evaluations): calls taken in blocks, tokens counted periodically. `release()` it when done.
   */
  judgeCallLeaseOf(projectId: string): JudgeCallLease {
    return new JudgeCallLease(
      this.day,
      () => this.orgOfProject(projectId),
      (quota) => this.exceeded(quota, secondsToMidnight()),
      this.leases,
    );
  }

  /** Adds the tokens a judge call used to the organization's day. */
  async recordJudgeTokens(orgId: string, tokens: number): Promise<void> {
    if (!this.day.unlimited) await this.day.count(orgId, tokens, 1);
  }

  /** Every quota of the organization with its limit and use (for /usage). */
  async report(orgId: string): Promise<QuotaUse[]> {
    const held = await Promise.all(
      (Object.keys(COUNTS) as HeldQuota[]).map(async (name) => {
        const [{ n }] = (await this.dataSource.query(COUNTS[name], [orgId])) as { n: number }[];
        return this.use(name, n);
      }),
    );
    const day = await this.day.used(orgId);
    return [...held, this.use('judgeCallsPerDay', day.calls), this.use('judgeTokensPerDay', day.tokens)];
  }

  /** Runs after the worker's executor (a global module): leases still holding calls give them back. */
  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.leases].map((lease) => lease.release()));
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

  private get redis(): Redis {
    this.redisClient ??= new Redis(this.config.redis.url, { maxRetriesPerRequest: 2, lazyConnect: false });
    return this.redisClient;
  }

  private get day(): JudgeDayQuota {
    this.dayQuota ??= new JudgeDayQuota(this.redis, this.prefix, this.limits);
    return this.dayQuota;
  }
}
