import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { Repository } from 'typeorm';
import { notFound, unauthenticated } from '../../common/errors/domain.error';
import { ApiKeyEntity } from './entities/api-key.entity';

export type KeyExpiration = 'never' | '90d';

const KEY_PATTERN = /^sk_pp_[0-9a-f]{64}$/;
const NINETY_DAYS_MS = 90 * 24 * 3600 * 1000;

export function hashApiKey(raw: string): string {
  return createHash('sha256').update(raw).digest('hex');
}

export function generateApiKey(): string {
  return `sk_pp_${randomBytes(32).toString('hex')}`;
}

@Injectable()
export class ApiKeysService {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  /** Creates a key for an organization. The raw key is returned once and never stored. */
  async create(
    orgId: string,
    name: string,
    expiration: KeyExpiration = 'never',
    createdBy: string | null = null,
    rawKey: string = generateApiKey(),
  ): Promise<{ key: ApiKeyEntity; rawKey: string }> {
    const key = this.keys.create({
      orgId,
      name,
      keyHash: hashApiKey(rawKey),
      keyPrefix: rawKey.slice(0, 10),
      isActive: true,
      expiresAt: expiration === '90d' ? new Date(Date.now() + NINETY_DAYS_MS) : null,
      createdBy,
    });
    await this.keys.insert(key);
    return { key: await this.keys.findOneByOrFail({ id: key.id }), rawKey };
  }

  /** Idempotent: used by the INIT_* bootstrap so a restart never duplicates the key. */
  async ensure(orgId: string, name: string, rawKey: string): Promise<ApiKeyEntity> {
    await this.keys
      .createQueryBuilder()
      .insert()
      .values({ orgId, name, keyHash: hashApiKey(rawKey), keyPrefix: rawKey.slice(0, 10) })
      .orIgnore()
      .execute();
    return this.keys.findOneOrFail({ where: { keyHash: hashApiKey(rawKey) } });
  }

  list(orgId: string): Promise<ApiKeyEntity[]> {
    return this.keys.find({ where: { orgId }, order: { createdAt: 'DESC' } });
  }

  async revoke(orgId: string, keyId: string): Promise<void> {
    const result = await this.keys.update({ id: keyId, orgId }, { isActive: false });
    if (!result.affected) throw notFound(`API key ${keyId} not found.`);
  }

  /** Resolves a raw key to an active, unexpired key, or throws 401. */
  async verify(rawKey: string): Promise<ApiKeyEntity> {
    const key = KEY_PATTERN.test(rawKey)
      ? await this.keys.findOne({ where: { keyHash: hashApiKey(rawKey), isActive: true } })
      : null;
    if (!key) throw unauthenticated('Invalid or revoked API key.');
    if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) {
      throw unauthenticated('API key has expired. Please generate a new one.');
    }
    // Stamp last use at most once a minute: a write per request would cost more than the request.
    void this.keys
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: () => 'now()' })
      .where('id = :id AND (last_used_at IS NULL OR last_used_at < now() - interval \'1 minute\')', { id: key.id })
      .execute()
      .catch(() => undefined);
    return key;
  }
}
