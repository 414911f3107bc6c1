import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ApiKeysService } from '../../src/modules/auth/api-keys.service';
import { MembershipEntity, MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { OrganizationEntity } from '../../src/modules/auth/entities/organization.entity';
import { ProjectEntity } from '../../src/modules/auth/entities/project.entity';
import { UserEntity } from '../../src/modules/auth/entities/user.entity';
import { TestApp } from './test-app';

export interface Tenant {
  orgId: string;
  projectId: string;
  projectName: string;
  apiKey: string;
  apiKeyId: string;
  /** X-API-Key + X-Project-Name, as the real SDKs send them. */
  headers: Record<string, string>;
}

/** A fresh organization with one project and one API key. */
export async function createTenant(t: TestApp, opts: { projectName?: string; orgName?: string } = {}): Promise<Tenant> {
  const org = await t.dataSource
    .getRepository(OrganizationEntity)
    .save({ name: opts.orgName ?? `org-${randomUUID()}` });
  const projectName = opts.projectName ?? `project-${randomUUID().slice(0, 8)}`;
  const project = await t.dataSource.getRepository(ProjectEntity).save({ orgId: org.id, name: projectName });
  const { key, rawKey } = await t.app.get(ApiKeysService).create(org.id, 'test key');
  return {
    orgId: org.id,
    projectId: project.id,
    projectName,
    apiKey: rawKey,
    apiKeyId: key.id,
    headers: { 'X-API-Key': rawKey, 'X-Project-Name': projectName },
  };
}

/** Adds a user to an organization and returns Bearer headers for one of its projects. */
export async function createMember(
  t: TestApp,
  tenant: Pick<Tenant, 'orgId' | 'projectId'>,
  role: MembershipRole = MembershipRole.MEMBER,
): Promise<{ userId: string; externalId: string; token: string; headers: Record<string, string> }> {
  const externalId = `user-${randomUUID()}`;
  const user = await t.dataSource.getRepository(UserEntity).save({ externalId });
  await t.dataSource.getRepository(MembershipEntity).save({ userId: user.id, orgId: tenant.orgId, role });
  const token = signToken(t, externalId);
  return {
    userId: user.id,
    externalId,
    token,
    headers: { Authorization: `Bearer ${token}`, 'X-Project-ID': tenant.projectId },
  };
}

export function signToken(t: TestApp, sub: string, options: jwt.SignOptions = {}, secret?: string): string {
  return jwt.sign({ sub }, secret ?? t.config.auth.jwtSecret!, { algorithm: 'HS256', expiresIn: '1h', ...options });
}
