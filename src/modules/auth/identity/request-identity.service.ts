import { Inject, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { Request } from 'express';
import { APP_CONFIG } from '../../../config/config.module';
import { AppConfig } from '../../../config/env';
import { unauthenticated, unprocessable } from '../../../common/errors/domain.error';
import { OrganizationsService } from '../organizations.service';
import { Principal, UserContext } from '../types/project-context';
import { DEV_USER, UserProvisioningService } from './user-provisioning.service';

/**
 * What the auth guards ask about a request's identity beyond its credentials: the development
 * mode's local user, the just-in-time organization, and the X-Organization-ID header.
 */
@Injectable()
export class RequestIdentityService {
  /** AUTH_ENABLED=false (only accepted with NODE_ENV=development, see env.ts). */
  readonly devMode: boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: UserProvisioningService,
    private readonly organizations: OrganizationsService,
  ) {
    this.devMode = !config.auth.enabled;
  }

  /** The local user that credential-less requests act as in development mode. */
  async devUser(): Promise<UserContext> {
    const user = await this.users.upsert(DEV_USER);
    return { userId: user.id, externalId: user.external_id };
  }

  /** Management routes: a user with no organization gets one; then the header is checked. */
  async afterUserAuth(req: Request, user: UserContext): Promise<void> {
    await this.users.ensureOrganization(user.userId);
    await this.checkOrganizationHeader(req, { kind: 'user', userId: user.userId, externalId: user.externalId });
  }

  /**
   * X-Organization-ID, when sent, must be a UUID of an organization the caller belongs to (a user's
   * membership, an API key's own organization): 422 when malformed, 401 otherwise, as the original.
   */
  async checkOrganizationHeader(req: Request, principal: Principal): Promise<void> {
    const raw = req.headers['x-organization-id'];
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (value === undefined || value === '') return;
    if (!isUUID(value)) throw unprocessable('X-Organization-ID must be a valid UUID.');
    const orgId = value.toLowerCase();
    const belongs =
      principal.kind === 'api_key'
        ? principal.orgId === orgId
        : !!(await this.organizations.roleOf(principal.userId, orgId));
    if (!belongs) throw unauthenticated('You are not a member of the specified organization.');
  }
}
