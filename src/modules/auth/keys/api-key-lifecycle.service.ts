import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../../config/config.module';
import { AppConfig } from '../../../config/env';
import { conflict, notFound, unprocessable } from '../../../common/errors/domain.error';
import { ApiKeyAuthService } from '../api-key-auth.service';
import { generateApiKey, newKeyValues } from '../api-keys.service';
import { APIKeyResponse } from '../dto/management.dto';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { OrganizationsService } from '../organizations.service';
import { UserContext } from '../types/project-context';

/**
 * One key's life after creation: read, rotate, revoke or delete. Every change that can stop a key
 * working goes through ApiKeyAuthService.invalidate, so every API process re-reads the row at once.
 */
@Injectable()
export class ApiKeyLifecycleService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly organizations: OrganizationsService,
    private readonly keyAuth: ApiKeyAuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async get(user: UserContext, orgId: string, keyId: string): Promise<APIKeyResponse> {
    await this.organizations.assertMember(user.userId, orgId);
    return APIKeyResponse.from(await this.find(orgId, keyId));
  }

  /**
   * A new key with the old one's name and lifetime policy; the old key keeps working until
   * `now + API_KEY_ROTATION_GRACE_SECONDS` (or its own earlier expiry). The old row is locked, so two
   * concurrent rotations of one key make one replacement and the other gets 409.
   */
  async rotate(user: UserContext, orgId: string, keyId: string): Promise<APIKeyResponse> {
    await this.organizations.assertAdmin(user.userId, orgId);
    const rawKey = generateApiKey();
    const fresh = await this.db.transaction(async (tx) => {
      const old = await tx.findOne(ApiKeyEntity, { where: { id: keyId, orgId }, lock: { mode: 'pessimistic_write' } });
      if (!old) throw notFound(`API key ${keyId} not found.`);
      if (!old.isActive) throw unprocessable('Cannot rotate a revoked API key.');
      if (old.replacedBy)
        throw conflict(`API key ${keyId} was already rotated; rotate its replacement ${old.replacedBy}.`);
      const created = tx.create(ApiKeyEntity, newKeyValues(orgId, old.name, old.lifetime, user.userId, rawKey));
      await tx.insert(ApiKeyEntity, created);
      const graceEnd = new Date(Date.now() + this.config.apiKeyRotationGraceMs);
      const end = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
      await tx.update(ApiKeyEntity, { id: old.id }, { expiresAt: end, replacedBy: created.id });
      return tx.findOneByOrFail(ApiKeyEntity, { id: created.id });
    });
    await this.keyAuth.invalidate(keyId);
    return APIKeyResponse.from(fresh, rawKey);
  }

  /** Soft revoke (the row stays, listed inactive; idempotent) or, with `permanent`, the row removed. */
  async delete(user: UserContext, orgId: string, keyId: string, permanent: boolean): Promise<void> {
    await this.organizations.assertAdmin(user.userId, orgId);
    const keys = this.db.getRepository(ApiKeyEntity);
    const result = permanent
      ? await keys.delete({ id: keyId, orgId })
      : await keys.update({ id: keyId, orgId }, { isActive: false });
    if (!result.affected) throw notFound(`API key ${keyId} not found.`);
    await this.keyAuth.invalidate(keyId);
  }

  /** A key of another organization is "not found", as a missing one: ids of other organizations cannot be probed. */
  private async find(orgId: string, keyId: string): Promise<ApiKeyEntity> {
    const key = await this.db.getRepository(ApiKeyEntity).findOneBy({ id: keyId, orgId });
    if (!key) throw notFound(`API key ${keyId} not found.`);
    return key;
  }
}
