import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { AppConfig, JudgeProviderKey, ProviderLimits } from '../../config/env';

/**
 * One atomic step of the shared limiter, run inside Redis so every process sees the same state.
 * Clock: Redis TIME, so hosts with skewed clocks agree.
 *  - in flight: a sorted set of leases scored by their expiry; expired leases are dropped first,
 *    so a process that dies mid-call frees its slot when its lease runs out.
 *  - requests and tokens per minute: token buckets (capacity = the per-minute limit, refilled
 *    continuously), O(1) per call.
 * Returns 0 when the slot was taken, else how many ms to wait before asking again.
 */
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local leaseId = ARGV[1]
local leaseMs = tonumber(ARGV[2])
local maxIn = tonumber(ARGV[3])
local rpm = tonumber(ARGV[4])
local tpm = tonumber(ARGV[5])
local need = tonumber(ARGV[6])
local wait = 0
if maxIn > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= maxIn then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    wait = math.max(5, math.min(tonumber(first[2]) - now, 25))
  end
end
local function refill(key, cap)
  local v = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(v[1])
  local ts = tonumber(v[2])
  if tokens == nil or ts == nil then
    tokens = cap
    ts = now
  end
  return math.min(cap, tokens + (now - ts) * cap / 60000)
end
local rTokens = 0
local tTokens = 0
local want = 0
if rpm > 0 then
  rTokens = refill(KEYS[2], rpm)
  if rTokens < 1 then wait = math.max(wait, math.ceil((1 - rTokens) * 60000 / rpm)) end
end
if tpm > 0 then
  want = math.min(need, tpm)
  tTokens = refill(KEYS[3], tpm)
  if tTokens < want then wait = math.max(wait, math.ceil((want - tTokens) * 60000 / tpm)) end
end
if wait > 0 then return wait end
if rpm > 0 then
  redis.call('HSET', KEYS[2], 'tokens', tostring(rTokens - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[2], 120000)
end
if tpm > 0 then
  redis.call('HSET', KEYS[3], 'tokens', tostring(tTokens - want), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[3], 120000)
end
if maxIn > 0 then
  redis.call('ZADD', KEYS[1], now + leaseMs, leaseId)
  redis.call('PEXPIRE', KEYS[1], leaseMs + 60000)
end
return 0
`;

/** Frees the lease and corrects the token bucket by (estimate - actual). */
const RELEASE_LUA = `
redis.call('ZREM', KEYS[1], ARGV[1])
local delta = tonumber(ARGV[2])
if delta ~= 0 and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HINCRBYFLOAT', KEYS[3], 'tokens', delta)
end
return 1
`;

export interface LimiterLease {
  /** Frees the in-flight slot and books the real token count. Safe to call twice. */
  release(actualTokens?: number): Promise<void>;
}

const NOOP_LEASE: LimiterLease = { release: async () => undefined };

type LimiterRedis = Redis & {
  ppJudgeAcquire(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<number>;
  ppJudgeRelease(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<number>;
};

/**
 * The judge's per-provider limiter, shared by every process through Redis. Limits of 0 mean
 * "no limit"; a provider with no limits never touches Redis. If Redis cannot be reached the
 * limiter lets calls through (logged): provider 429s are still retried with backoff.
 */
export class JudgeLimiter {
  private readonly logger = new Logger(JudgeLimiter.name);
  private redis?: LimiterRedis;
  private lastWarnAt = 0;

  constructor(
    private readonly config: AppConfig,
    /** How long a lease lives if its holder never releases it (crash). */
    private readonly leaseMs = config.judge.timeoutMs + 10_000,
  ) {}

  limitsFor(provider: JudgeProviderKey): ProviderLimits {
    return this.config.judge.providers[provider].limits;
  }

  async acquire(provider: JudgeProviderKey, estimatedTokens: number, signal?: AbortSignal): Promise<LimiterLease> {
    const limits = this.limitsFor(provider);
    if (limits.maxInFlight <= 0 && limits.rpm <= 0 && limits.tpm <= 0) return NOOP_LEASE;
    const keys = this.keys(provider);
    const leaseId = randomUUID();
    const estimate = Math.max(1, Math.ceil(estimatedTokens));
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      let wait: number;
      try {
        wait = Number(
          await this.client().ppJudgeAcquire(
            keys[0],
            keys[1],
            keys[2],
            leaseId,
            this.leaseMs,
            limits.maxInFlight,
            limits.rpm,
            limits.tpm,
            estimate,
          ),
        );
      } catch (error) {
        this.warnUnavailable(error);
        return NOOP_LEASE;
      }
      if (wait <= 0) break;
      await sleep(Math.min(wait, 1_000) + Math.floor(Math.random() * 5));
    }
    let released = false;
    return {
      release: async (actualTokens?: number) => {
        if (released) return;
        released = true;
        const delta = limits.tpm > 0 && actualTokens !== undefined ? estimate - Math.min(actualTokens, limits.tpm) : 0;
        try {
          await this.client().ppJudgeRelease(keys[0], keys[1], keys[2], leaseId, delta);
        } catch (error) {
          this.warnUnavailable(error); // the lease expires on its own
        }
      },
    };
  }

  /** Calls currently holding a slot for the provider (expired leases excluded). For tests and metrics. */
  async inFlight(provider: JudgeProviderKey): Promise<number> {
    const [key] = this.keys(provider);
    return this.client().zcount(key, Date.now(), '+inf');
  }

  async close(): Promise<void> {
    if (this.redis) {
      const r = this.redis;
      this.redis = undefined;
      await r.quit().catch(() => r.disconnect());
    }
  }

  private keys(provider: JudgeProviderKey): [string, string, string] {
    const base = `${this.config.redis.queuePrefix}:judge:limit:${provider}`;
    return [`${base}:inflight`, `${base}:rpm`, `${base}:tpm`];
  }

  private client(): LimiterRedis {
    if (!this.redis) {
      const redis = new Redis(this.config.redis.url, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
      redis.on('error', (error) => this.warnUnavailable(error));
      redis.defineCommand('ppJudgeAcquire', { numberOfKeys: 3, lua: ACQUIRE_LUA });
      redis.defineCommand('ppJudgeRelease', { numberOfKeys: 3, lua: RELEASE_LUA });
      this.redis = redis as LimiterRedis;
    }
    return this.redis;
  }

  private warnUnavailable(error: unknown) {
    if (Date.now() - this.lastWarnAt < 10_000) return;
    this.lastWarnAt = Date.now();
    this.logger.warn(`Judge limiter cannot reach Redis; letting calls through: ${(error as Error)?.message ?? error}`);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
