import { Injectable } from '@nestjs/common';
import { forbidden } from '../../../common/errors/domain.error';
import { ADMIN_ROLES, MembershipRole } from '../entities/membership.entity';
import { OrganizationsService } from '../organizations.service';

export type Need = 'member' | 'admin' | 'owner';

const ALLOWED: Record<Need, readonly MembershipRole[]> = {
  member: [MembershipRole.OWNER, MembershipRole.ADMIN, MembershipRole.MEMBER],
  admin: ADMIN_ROLES,
  owner: [MembershipRole.OWNER],
};
const REFUSAL: Record<Need, string> = {
  member: 'You are not a member of this organization.',
  admin: 'Admin or Owner role required.',
  owner: 'Owner role required.',
};

/**
 * The caller's role in an organization, or 403. A missing organization answers exactly like one the
 * caller does not belong to, so organization ids cannot be probed.
 */
@Injectable()
export class OrgAccess {
  constructor(private readonly organizations: OrganizationsService) {}

  async require(userId: string, orgId: string, need: Need): Promise<MembershipRole> {
    const role = await this.organizations.roleOf(userId, orgId);
    if (!role) throw forbidden(REFUSAL.member);
    if (!ALLOWED[need].includes(role)) throw forbidden(REFUSAL[need]);
    return role;
  }
}
