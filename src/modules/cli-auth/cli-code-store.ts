import { Injectable } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';

export const CODE_TTL_SECONDS = 120;

/** What a code stands for, fixed when the user authorized the CLI. */
export interface PendingLogin {
  userId: string;
  orgId: string;
  projectId: string;
  projectName: string;
  codeChallenge: string;
  label: string;
  expiresAtMs: number;
}

/**
 * Login codes in Redis, stored under the SHA-256 of the code (a Redis dump reveals no usable code),
 * expiring with their 120 s. Losing Redis loses only logins in progress. `take` is GETDEL: of
 * concurrent exchanges of one code, exactly one gets it.
 */
@Injectable()
export class CliCodeStore {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(@InjectThrottlerStorage() storage: ThrottlerStorage, @Inject(APP_CONFIG) config: AppConfig) {
    this.redis = (storage as ThrottlerStorageRedisService).redis as Redis;
    this.prefix = `${config.redis.queuePrefix}:cli-code:`;
  }

  async put(code: string, login: PendingLogin): Promise<void> {
    await this.redis.set(this.key(code), JSON.stringify(login), 'EX', CODE_TTL_SECONDS);
  }

  /** Reads without consuming (a wrong verifier must leave the code usable). */
  async peek(code: string): Promise<PendingLogin | null> {
    return parse(await this.redis.get(this.key(code)));
  }

  async take(code: string): Promise<PendingLogin | null> {
    return parse(await this.redis.getdel(this.key(code)));
  }

  private key(code: string): string {
    return this.prefix + createHash('sha256').update(code).digest('hex');
  }
}

const parse = (raw: string | null): PendingLogin | null => (raw ? (JSON.parse(raw) as PendingLogin) : null);
