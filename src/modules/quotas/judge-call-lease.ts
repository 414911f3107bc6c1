import type { JudgeDayQuota, JudgeDayQuotaName } from './judge-day-quota';
import { NOTHING_TO_GIVE_BACK, type GiveBack, type JudgeQuota } from './judge-quota';

/** Calls a lease takes from the day at once: one Redis round trip per this many judge calls. */
export const JUDGE_CALL_BLOCK = 64;
/** Finished calls' tokens are added to the day at most this long after the call (unless the day is tight). */
export const TOKEN_FLUSH_MS = 250;

/**
 * The organization's daily judge quota for many calls of one process (a run's evaluations in a
 * worker): calls are taken from Redis in blocks and each judge call takes one of the block locally,
 * so the calls quota is never passed; what is left goes back at `release()`. Tokens are added up
 * here and counted in Redis every TOKEN_FLUSH_MS, or after each call while the day is tight (the
 * last take was cut short by a quota), so the next take sees them.
 */
export class JudgeCallLease implements JudgeQuota {
  /** Calls taken from Redis and not started yet. */
  private held = 0;
  private heldKey = '';
  private heldUntil = 0;
  private tight = false;
  private refill?: Promise<void>;
  private orgId?: string;
  private unsentTokens = 0;
  private unsentCalls = 0;
  private flushTimer?: NodeJS.Timeout;

  constructor(
    private readonly day: JudgeDayQuota,
    private readonly orgOf: () => Promise<string>,
    private readonly refused: (quota: JudgeDayQuotaName) => Error,
    /** Leases holding calls, so that a shutdown can give them back (OrgQuotaService.onModuleDestroy). */
    private readonly holding: Set<JudgeCallLease>,
  ) {}

  async reserve(): Promise<GiveBack> {
    if (this.day.unlimited) return NOTHING_TO_GIVE_BACK;
    // Waiters share one refill; a refused refill rejects them all.
    while (this.held === 0 || Date.now() >= this.heldUntil) {
      this.refill ??= this.take().finally(() => (this.refill = undefined));
      await this.refill;
    }
    this.held -= 1;
    const key = this.heldKey;
    // Held again while the lease still holds calls of that day and no refill is under way (a refill
    // sets `held` to what it took, which would drop the call); else straight back to that day.
    return async () => {
      if (this.heldKey === key && this.holding.has(this) && !this.refill) this.held += 1;
      else await this.day.giveBack(key, 1);
    };
  }

  async record(tokens: number): Promise<void> {
    if (this.day.unlimited) return;
    this.unsentTokens += tokens;
    this.unsentCalls += 1;
    if (this.tight) return this.flush();
    this.flushTimer ??= setTimeout(() => void this.flush().catch(() => undefined), TOKEN_FLUSH_MS).unref();
  }

  /** Gives the calls not started back and counts the tokens not counted yet. The lease stays usable. */
  async release(): Promise<void> {
    const [key, calls] = [this.heldKey, this.held];
    this.held = 0;
    this.holding.delete(this);
    await Promise.all([this.flush(), calls > 0 ? this.day.giveBack(key, calls) : undefined]);
  }

  private async take(): Promise<void> {
    // Calls left from a day that has ended go back to that day.
    if (this.held > 0) await this.release();
    this.orgId ??= await this.orgOf();
    const taken = await this.day.take(this.orgId, JUDGE_CALL_BLOCK, this.refused);
    this.held = taken.granted;
    this.holding.add(this);
    this.heldKey = taken.key;
    this.heldUntil = taken.dayEndsAt;
    this.tight = taken.granted < JUDGE_CALL_BLOCK;
  }

  private async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const [tokens, calls] = [this.unsentTokens, this.unsentCalls];
    if (calls === 0 || !this.orgId) return;
    this.unsentTokens = 0;
    this.unsentCalls = 0;
    await this.day.count(this.orgId, tokens, calls);
  }
}
