import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Redis } from 'ioredis';
import { EventEmitter } from 'node:events';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { RedisWatch } from '../../queue/redis-watch';
import { ApiKeysService, VerifiedApiKey } from './api-keys.service';
import { KeyLookupCache } from './key-lookup-cache';

/**
 * API-key authentication with the lookup cached per process (API_KEY_CACHE_TTL_MS), saving a
 * PostgreSQL query per request. A revocation drops the key here at once and is published through
 * Redis, so every other API process drops it as soon as the message lands; the TTL bounds how long
 * a lost message (Redis away) can keep a revoked key working.
 */
@Injectable()
export class ApiKeyAuthService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ApiKeyAuth');
  private readonly cache: KeyLookupCache;
  private readonly channel: string;
  private readonly redis: Redis;
  private subscriber?: Redis;
  /** Emits `revoked` (key id) once a published revocation is applied here: tests await it instead of sleeping. */
  readonly events = new EventEmitter();

  constructor(
    private readonly apiKeys: ApiKeysService,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    private readonly watch: RedisWatch,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.cache = new KeyLookupCache(config.apiKeyCacheTtlMs);
    this.channel = `${config.redis.queuePrefix}:api-key-revoked`;
    this.redis = (storage as ThrottlerStorageRedisService).redis as Redis;
  }

  async onModuleInit(): Promise<void> {
    if (!this.cache.enabled) return;
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    this.watch.watch(subscriber, 'key revocations');
    subscriber.on('message', (_channel: string, keyId: string) => {
      this.cache.drop(keyId);
      this.events.emit('revoked', keyId);
    });
    // While disconnected, revocations may be missed: start again from an empty cache.
    subscriber.on('close', () => this.cache.clear());
    await subscriber.subscribe(this.channel);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }

  async verify(rawKey: string, projectName: string | undefined): Promise<VerifiedApiKey> {
    const hit = this.cache.get(rawKey, projectName);
    if (hit) return this.apiKeys.accept(hit);
    const generation = this.cache.generation;
    const row = await this.apiKeys.find(rawKey, projectName);
    // Only complete answers are kept: a missing project is created by the caller and looked up again.
    if (row?.projectId) this.cache.set(rawKey, projectName, row, generation);
    return this.apiKeys.accept(row);
  }

  /** Revokes in PostgreSQL, then drops the key here and tells every other process. */
  async revoke(orgId: string, keyId: string): Promise<void> {
    await this.apiKeys.revoke(orgId, keyId);
    await this.invalidate(keyId);
  }

  /**
   * After a key's row changed (revoked, deleted, given an end date): drops it here and tells every
   * other process, so the next request anywhere reads the new row.
   */
  async invalidate(keyId: string): Promise<void> {
    this.cache.drop(keyId);
    if (!this.watch.isUp) {
      this.logger.warn(`Redis is down: other API processes see key ${keyId} change within API_KEY_CACHE_TTL_MS.`);
      return;
    }
    await this.redis.publish(this.channel, keyId);
  }
}
