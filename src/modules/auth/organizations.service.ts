import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { forbidden } from '../../common/errors/domain.error';
import { ADMIN_ROLES, MembershipEntity, MembershipRole } from './entities/membership.entity';
import { OrganizationEntity } from './entities/organization.entity';
import { ProjectEntity } from './entities/project.entity';

export interface OrganizationWithRole {
  org: OrganizationEntity;
  role: MembershipRole;
}

@Injectable()
export class OrganizationsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Creates an organization with `ownerUserId` as its OWNER, in one transaction; with `firstProject`
   * (what `POST /organizations` passes: the original's `onboarding` project) that project too.
   */
  create(
    name: string,
    ownerUserId: string,
    firstProject?: { name: string; description: string },
  ): Promise<OrganizationEntity> {
    return this.db.transaction(async (tx) => {
      const org = await tx.save(tx.create(OrganizationEntity, { name }));
      await tx.insert(MembershipEntity, { orgId: org.id, userId: ownerUserId, role: MembershipRole.OWNER });
      if (firstProject) await tx.insert(ProjectEntity, { orgId: org.id, ...firstProject });
      return org;
    });
  }

  async listForUser(userId: string): Promise<OrganizationWithRole[]> {
    const rows = await this.db
      .getRepository(OrganizationEntity)
      .createQueryBuilder('o')
      .innerJoin(MembershipEntity, 'm', 'm.org_id = o.id AND m.user_id = :userId', { userId })
      .addSelect('m.role', 'role')
      // Newest membership first, as the original: the dashboard takes element 0 as the default.
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('o.id', 'ASC')
      .getRawAndEntities();
    return rows.entities.map((org, i) => ({ org, role: rows.raw[i].role as MembershipRole }));
  }

  async roleOf(userId: string, orgId: string): Promise<MembershipRole | null> {
    const m = await this.db.getRepository(MembershipEntity).findOneBy({ userId, orgId });
    return m?.role ?? null;
  }

  /** Throws 403 unless the user belongs to the organization (with one of `roles`, when given). */
  async assertMember(userId: string, orgId: string, roles?: readonly MembershipRole[]): Promise<MembershipRole> {
    const role = await this.roleOf(userId, orgId);
    if (!role) throw forbidden('You are not a member of this organization.');
    if (roles && !roles.includes(role)) throw forbidden('Admin or Owner role required.');
    return role;
  }

  /** Throws 403 unless the user is an OWNER or ADMIN of the organization. */
  assertAdmin(userId: string, orgId: string): Promise<MembershipRole> {
    return this.assertMember(userId, orgId, ADMIN_ROLES);
  }

  /** The organization, once the user is known to belong to it (403 otherwise). */
  async memberOrg(userId: string, orgId: string): Promise<OrganizationEntity> {
    await this.assertMember(userId, orgId);
    return this.db.getRepository(OrganizationEntity).findOneByOrFail({ id: orgId });
  }
}
