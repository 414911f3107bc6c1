import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/env';
import { DomainError, ErrorCode } from '../common/errors/domain.error';
import { describeUrl } from '../config/describe-url';

/**
 * Whether the process's Redis connections are up, for requests that need Redis (503 instead of a
 * hang or a 500), for /health/ready, and for the logs: one line when Redis goes away and one when
 * it is back, instead of an ioredis error line per reconnect attempt.
 */
@Injectable()
export class RedisWatch implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly down = new Map<string, string>();
  private readonly where: string;
  private reported = false;
  /** Connections closed on purpose at shutdown are not an outage. */
  private stopping = false;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const url = new URL(config.redis.url);
    this.where = `${url.hostname}:${url.port || 6379} (REDIS_URL=${describeUrl(config.redis.url)})`;
  }

  /** Follows one client's connection state. `role` names it in the health body. */
  watch(client: Pick<Redis, 'on' | 'status'>, role: string): void {
    if (!['ready', 'connecting', 'connect', 'wait'].includes(client.status)) this.mark(role, client.status);
    client.on('error', (e: Error) => this.mark(role, (e as { code?: string }).code ?? e.message));
    client.on('close', () => this.mark(role, 'connection closed'));
    client.on('ready', () => this.clear(role));
  }

  get isUp(): boolean {
    return this.down.size === 0;
  }

  /** Why Redis is down (the first reason seen), or null when it is up. */
  get problem(): string | null {
    if (this.isUp) return null;
    return `Redis is unreachable at ${this.where}: ${[...new Set(this.down.values())].join(', ')}`;
  }

  /** Throws a 503-mapped error when Redis is down, before a request waits on it. */
  assertUp(): void {
    if (!this.isUp)
      throw new DomainError(ErrorCode.DEPENDENCY_UNAVAILABLE, `${this.problem}. Retry when it is back.`, {
        dependency: 'redis',
      });
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  private mark(role: string, reason: string): void {
    if (this.stopping) return;
    if (!this.down.has(role)) this.down.set(role, reason);
    if (!this.reported) {
      this.reported = true;
      this.logger.error(`${this.problem}; requests that need Redis get 503 until it is back.`);
    }
  }

  private clear(role: string): void {
    this.down.delete(role);
    if (this.isUp && this.reported) {
      this.reported = false;
      this.logger.log(`Redis is reachable again at ${this.where}.`);
    }
  }
}
