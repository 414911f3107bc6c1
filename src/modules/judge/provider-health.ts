import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { AppConfig, JudgeProviderKey } from '../../config/env';
import type { ResolvedModel } from './judge.types';
import type { ClassifiedFailure } from './retry-policy';

/** A setting the AI SDK did not send as asked for a model (e.g. temperature for an unknown Claude id). */
export interface DroppedSetting {
  model: string;
  setting: string;
  details: string;
}

export interface ProviderHealth {
  /** The last call that got no HTTP answer at all, when no call succeeded after it. */
  unreachable: { message: string; at: string } | null;
  dropped: DroppedSetting[];
}

/** The AI SDK's call warnings (generateText's `warnings`). */
type SdkWarning = { type: string; feature?: string; details?: string; message?: string };

/** Successes are written at most this often per provider and process (a failure is always followed by one). */
const OK_WRITE_EVERY_MS = 5_000;

/**
 * What the judge learned from real calls, shared by every process through Redis so that
 * `GET /evaluations/providers` (API process) tells what the workers saw:
 *  - a provider whose base URL gave no HTTP answer on the last call (refused, reset, DNS),
 *  - settings the SDK dropped or changed for a model (logged once per process, listed once).
 * Writes are fire-and-forget; if Redis is down the endpoint shows configuration only.
 */
export class ProviderHealthBook {
  private readonly logger = new Logger('JudgeProviders');
  private readonly seenDropped = new Set<string>();
  private readonly lastOkWrite = new Map<JudgeProviderKey, number>();
  private readonly failedSinceOk = new Set<JudgeProviderKey>();

  constructor(
    private readonly config: AppConfig,
    private readonly redis: () => Redis,
  ) {}

  /** Records the SDK's warnings of one successful call; each (model, setting) is reported once. */
  noteWarnings(model: ResolvedModel, warnings: readonly SdkWarning[] | undefined): void {
    for (const w of warnings ?? []) {
      if ((w.type !== 'unsupported' && w.type !== 'compatibility') || !w.feature) continue;
      const key = `${model.id}|${w.feature}`;
      if (this.seenDropped.has(key)) continue;
      this.seenDropped.add(key);
      const entry: DroppedSetting = {
        model: model.id,
        setting: w.feature,
        details: w.details ?? `${w.feature} is not supported by ${model.id}`,
      };
      this.logger.warn(
        `Judge model '${model.id}': setting '${entry.setting}' not applied as configured: ${entry.details}`,
      );
      this.write((r) => r.hset(this.key('dropped'), key, JSON.stringify(entry)));
    }
  }

  noteSuccess(provider: JudgeProviderKey): void {
    const now = Date.now();
    if (!this.failedSinceOk.has(provider) && now - (this.lastOkWrite.get(provider) ?? 0) < OK_WRITE_EVERY_MS) return;
    this.failedSinceOk.delete(provider);
    this.lastOkWrite.set(provider, now);
    this.write((r) => r.hset(this.key(`health:${provider}`), 'ok_at', String(now)));
  }

  noteFailure(provider: JudgeProviderKey, failure: ClassifiedFailure): void {
    if (failure.kind !== 'network') return; // an HTTP answer, even an error, means the URL is reachable
    this.failedSinceOk.add(provider);
    const now = Date.now();
    this.write((r) =>
      r.hset(this.key(`health:${provider}`), 'failed_at', String(now), 'failure', failure.summary.slice(0, 300)),
    );
  }

  async read(provider: JudgeProviderKey): Promise<ProviderHealth> {
    try {
      const r = this.redis();
      const [health, dropped] = await Promise.all([
        r.hgetall(this.key(`health:${provider}`)),
        r.hgetall(this.key('dropped')),
      ]);
      const failedAt = Number(health.failed_at ?? 0);
      const okAt = Number(health.ok_at ?? 0);
      return {
        unreachable:
          failedAt > okAt ? { message: health.failure ?? 'no answer', at: new Date(failedAt).toISOString() } : null,
        dropped: Object.values(dropped)
          .map((v) => JSON.parse(v) as DroppedSetting)
          .filter((d) => d.model.startsWith(`${provider}/`))
          .sort((a, b) => `${a.model}|${a.setting}`.localeCompare(`${b.model}|${b.setting}`)),
      };
    } catch {
      return { unreachable: null, dropped: [] };
    }
  }

  private key(suffix: string): string {
    return `${this.config.redis.queuePrefix}:judge:${suffix}`;
  }

  private write(op: (r: Redis) => Promise<unknown>): void {
    try {
      void op(this.redis()).catch(() => undefined);
    } catch {
      /* Redis unavailable: the endpoint falls back to configuration only */
    }
  }
}
