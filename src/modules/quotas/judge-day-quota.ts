import type Redis from 'ioredis';

export type JudgeDayQuotaName = 'judgeCallsPerDay' | 'judgeTokensPerDay';

/** Calls taken from an organization's day: `key` is the day's hash they go back to, `dayEndsAt` its end (ms). */
export interface TakenCalls {
  key: string;
  granted: number;
  dayEndsAt: number;
}

/**
 * Takes up to ARGV[4] judge calls of the day unless a daily quota is spent. KEYS[1] the day's hash
 * (`calls` taken, `tokens` used, `counted` calls whose tokens are in `tokens`); ARGV: calls limit,
 * tokens limit (0 = unlimited), ttl in seconds, calls wanted. Returns the calls granted or the spent
 * quota. Never more calls than the calls quota has left. Under a tokens quota, more than one call
 * only while the calls not counted yet (taken, running or unused) at twice the day's mean tokens per
 * call fit in what is left, so a block never carries the day past its tokens.
 */
const TAKE_CALLS = `
local calls = tonumber(redis.call('HGET', KEYS[1], 'calls') or '0')
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0')
local callsLimit, tokensLimit, grant = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
if callsLimit > 0 and calls >= callsLimit then return 'judgeCallsPerDay' end
if tokensLimit > 0 and tokens >= tokensLimit then return 'judgeTokensPerDay' end
if callsLimit > 0 then grant = math.min(grant, callsLimit - calls) end
if tokensLimit > 0 and grant > 1 then
  local counted = tonumber(redis.call('HGET', KEYS[1], 'counted') or '0')
  if counted == 0 then
    grant = 1
  else
    local mean = math.max(1, tokens / counted)
    local left = tokensLimit - tokens - (calls - counted) * mean
    grant = math.max(1, math.min(grant, math.floor(left / (2 * mean))))
  end
end
redis.call('HINCRBY', KEYS[1], 'calls', grant)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return grant`;

const DAY_MS = 86_400_000;
/** A day's hash outlives its day, so a late give-back or count never lands in a key without expiry. */
const TTL_SECONDS = 2 * 86_400;
const COMMAND = 'ppJudgeTakeCalls';
type TakeCommand = (key: string, calls: number, tokens: number, ttl: number, want: number) => Promise<number | string>;

/** An organization's judge calls and tokens per UTC day, in one Redis hash per day. */
export class JudgeDayQuota {
  private readonly takeCalls: TakeCommand;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: { judgeCallsPerDay: number; judgeTokensPerDay: number },
  ) {
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE_CALLS });
    this.takeCalls = (redis as unknown as Record<string, TakeCommand>)[COMMAND].bind(redis);
  }

  get unlimited(): boolean {
    return this.limits.judgeCallsPerDay === 0 && this.limits.judgeTokensPerDay === 0;
  }

  /** Takes up to `want` calls (at least one), or throws `refused(quota)` when a daily quota is spent. */
  async take(orgId: string, want: number, refused: (quota: JudgeDayQuotaName) => Error): Promise<TakenCalls> {
    const now = Date.now();
    const key = this.dayKey(orgId, now);
    const { judgeCallsPerDay, judgeTokensPerDay } = this.limits;
    const answer = await this.takeCalls(key, judgeCallsPerDay, judgeTokensPerDay, TTL_SECONDS, want);
    if (typeof answer === 'string') throw refused(answer as JudgeDayQuotaName);
    return { key, granted: answer, dayEndsAt: now - (now % DAY_MS) + DAY_MS };
  }

  /** Gives calls taken and not made back to the day they were taken from. */
  async giveBack(key: string, calls: number): Promise<void> {
    if (calls > 0) await this.redis.hincrby(key, 'calls', -calls);
  }

  /** Adds the tokens of `calls` finished calls to the organization's day. */
  async count(orgId: string, tokens: number, calls: number): Promise<void> {
    const key = this.dayKey(orgId, Date.now());
    await this.redis
      .multi()
      .hincrby(key, 'tokens', Math.round(tokens))
      .hincrby(key, 'counted', calls)
      .expire(key, TTL_SECONDS)
      .exec();
  }

  /** Calls and tokens of the organization's day so far. */
  async used(orgId: string): Promise<{ calls: number; tokens: number }> {
    const day = await this.redis.hgetall(this.dayKey(orgId, Date.now()));
    return { calls: Number(day.calls ?? 0), tokens: Number(day.tokens ?? 0) };
  }

  private dayKey(orgId: string, now: number): string {
    return `${this.prefix}:judge:${orgId}:${new Date(now).toISOString().slice(0, 10)}`;
  }
}

export function secondsToMidnight(): number {
  return Math.ceil((DAY_MS - (Date.now() % DAY_MS)) / 1000);
}
