import type { Cluster, Redis } from 'ioredis';

/**
 * Lua functions for scripts that keep token buckets in hashes (`tokens` and a time field, in ms),
 * shared with the judge limiter. redisNow(): Redis's clock in ms. refilled(): the bucket's tokens
 * by `now`, refilled at `rate` tokens per `per` ms up to `capacity` (full when the key is absent),
 * and the time they are counted from.
 */
export const LUA_BUCKET_HELPERS = `
local function redisNow()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function refilled(key, timeField, capacity, rate, per, now)
  local state = redis.call('HMGET', key, 'tokens', timeField)
  local tokens = tonumber(state[1])
  local at = tonumber(state[2])
  if tokens == nil or at == nil then return capacity, now end
  if now <= at then return math.min(capacity, tokens), at end
  return math.min(capacity, tokens + (now - at) * rate / per), now
end
`;

/**
 * Refill, take and store in one Lua call, so a request costs one Redis round trip and every API
 * process sees the same bucket. Time is Redis's own clock (TIME) unless the caller passes one, so
 * processes on hosts with skewed clocks still agree. An absent key is a full bucket; the key expires
 * once it would be full again.
 * KEYS[1] bucket; ARGV: rate per second, capacity, cost, now in ms (or '').
 * Returns {1, 0} when taken, {0, ms until `cost` tokens are there} when refused.
 */
const SCRIPT = `${LUA_BUCKET_HELPERS}
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4]) or redisNow()
local tokens, at = refilled(KEYS[1], 'at', capacity, rate, 1000, now)
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
else
  wait = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * 1000 / rate) + 1000)
if wait == 0 then return {1, 0} end
return {0, wait}
`;

type BucketCommand = (
  key: string,
  rate: number,
  capacity: number,
  cost: number,
  now: string,
) => Promise<[number, number]>;

export interface BucketResult {
  allowed: boolean;
  /** Milliseconds until the refused request would pass (0 when allowed). */
  retryAfterMs: number;
}

/** A token bucket per key in Redis: `ratePerSecond` tokens a second, up to `capacity`. */
export class TokenBucket {
  private readonly take: BucketCommand;

  /** `clock` is for tests only: production reads Redis's clock so every process agrees. */
  constructor(
    redis: Redis | Cluster,
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    private readonly clock?: () => number,
  ) {
    if (!(ratePerSecond > 0)) throw new Error('TokenBucket needs a positive rate');
    const name = 'ppTokenBucket';
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 1, lua: SCRIPT });
    const command = (redis as unknown as Record<string, BucketCommand>)[name];
    this.take = command.bind(redis);
  }

  async consume(key: string, cost = 1): Promise<BucketResult> {
    const now = this.clock ? String(Math.floor(this.clock())) : '';
    const [allowed, wait] = await this.take(key, this.ratePerSecond, this.capacity, cost, now);
    return { allowed: allowed === 1, retryAfterMs: Number(wait) };
  }
}
