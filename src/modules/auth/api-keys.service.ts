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

/** The columns of a new key (its secret stored as a hash only). */
export function newKeyValues(
  orgId: string,
  name: string,
  expiration: KeyExpiration,
  createdBy: string | null,
  rawKey: string,
): Partial<ApiKeyEntity> {
  return {
    orgId,
    name,
    keyHash: hashApiKey(rawKey),
    keyPrefix: rawKey.slice(0, 10),
    isActive: true,
    expiresAt: expiration === '90d' ? new Date(Date.now() + NINETY_DAYS_MS) : null,
    lifetime: expiration,
    createdBy,
  };
}

/** What a lookup finds for an active key (cacheable: expiry is checked on every use). */
export interface ApiKeyRow {
  id: string;
  orgId: string;
  projectId: string | null;
  expiresAtMs: number | null;
}

export interface VerifiedApiKey {
  id: string;
  orgId: string;
  /** The organization's project with the requested name, or null when it does not exist yet. */
  projectId: string | null;
}

@Injectable()
export class ApiKeysService {
  private readonly lastStamped = new Map<string, number>();

  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  /** Creates a key for an organization. The raw key is returned once and never stored. */
  async create(
    orgId: string,
    name: string,
    expiration: KeyExpiration = 'never',
    createdBy: string | null = null,
    rawKey: string = generateApiKey(),
  ): Promise<{ key: ApiKeyEntity; rawKey: string }> {
    const key = this.keys.create(newKeyValues(orgId, name, expiration, createdBy, rawKey));
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

  /**
   * Resolves a raw key to an active, unexpired key, and in the same round trip the id of the
   * organization's project named `projectName` (null when it does not exist yet). Throws 401.
   */
  async verify(rawKey: string, projectName?: string): Promise<VerifiedApiKey> {
    return this.accept(await this.find(rawKey, projectName));
  }

  /** The active key's row (one indexed query), or null. Authentication runs on every request: nothing else. */
  async find(rawKey: string, projectName?: string): Promise<ApiKeyRow | null> {
    if (!KEY_PATTERN.test(rawKey)) return null;
    const rows: { id: string; org_id: string; expires_at: Date | null; project_id: string | null }[] =
      await this.keys.query(
        `SELECT k.id, k.org_id, k.expires_at, p.id AS project_id
           FROM api_keys k LEFT JOIN projects p ON p.org_id = k.org_id AND p.name = $2
          WHERE k.key_hash = $1 AND k.is_active`,
        [hashApiKey(rawKey), projectName ?? null],
      );
    const row = rows[0];
    if (!row) return null;
    return { id: row.id, orgId: row.org_id, projectId: row.project_id, expiresAtMs: row.expires_at?.getTime() ?? null };
  }

  /** 401 for a missing or expired row; otherwise the key, its last use stamped. */
  accept(row: ApiKeyRow | null): VerifiedApiKey {
    if (!row) throw unauthenticated('Invalid or revoked API key.');
    if (row.expiresAtMs !== null && row.expiresAtMs <= Date.now()) {
      throw unauthenticated('API key has expired. Please generate a new one.');
    }
    this.stampLastUse(row.id);
    return { id: row.id, orgId: row.orgId, projectId: row.projectId };
  }

  /** Stamps last use at most once a minute per key and process: a write per request would cost more than the request. */
  private stampLastUse(keyId: string): void {
    const now = Date.now();
    if (now - (this.lastStamped.get(keyId) ?? 0) < 60_000) return;
    if (this.lastStamped.size > 10_000) this.lastStamped.clear();
    this.lastStamped.set(keyId, now);
    void this.keys.update({ id: keyId }, { lastUsedAt: () => 'now()' }).catch(() => this.lastStamped.delete(keyId));
  }
}
