import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { forbidden, notFound } from '../../../common/errors/domain.error';
import { MembershipRole } from '../entities/membership.entity';
import { OrganizationsService } from '../organizations.service';
import { UserContext } from '../types/project-context';
import { MembershipResponse, MembershipRow } from './identity.dto';
import { OrgAccess } from './org-access';

const { OWNER, ADMIN, MEMBER } = MembershipRole;

export const MEMBERSHIP_SELECT = `SELECT m.id, m.user_id, m.org_id, m.role, u.display_name, u.email, m.created_at
  FROM memberships m JOIN users u ON u.id = m.user_id`;

/**
 * Members and the original's hierarchy: an OWNER is never demoted or removed, only an OWNER
 * changes roles (and may make another OWNER), ADMINs remove MEMBERs only, nobody changes their own
 * role. Each write re-checks the target's role in its own WHERE, so a concurrent promotion cannot
 * slip an OWNER through a check made a moment earlier.
 */
@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: OrgAccess,
    private readonly organizations: OrganizationsService,
  ) {}

  async list(user: UserContext, orgId: string): Promise<MembershipResponse[]> {
    await this.access.require(user.userId, orgId, 'member');
    const rows: MembershipRow[] = await this.db.query(
      `${MEMBERSHIP_SELECT} WHERE m.org_id = $1 ORDER BY m.created_at, m.id`,
      [orgId],
    );
    return rows.map((r) => MembershipResponse.from(r));
  }

  async changeRole(
    user: UserContext,
    orgId: string,
    targetUserId: string,
    role: MembershipRole,
  ): Promise<MembershipResponse> {
    if (targetUserId === user.userId) throw forbidden('Cannot change your own role.');
    const callerRole = await this.access.require(user.userId, orgId, 'member');
    if (callerRole !== OWNER) throw forbidden('Only owners can change member roles.');
    const target = await this.targetRole(orgId, targetUserId);
    if (target === OWNER) throw forbidden('Cannot change the role of another owner.');
    const [, changed]: [unknown, number] = await this.db.query(
      `UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2 AND role <> 'OWNER'`,
      [orgId, targetUserId, role],
    );
    if (!changed) await this.refuseChanged(orgId, targetUserId, 'Cannot change the role of another owner.');
    return this.one(orgId, targetUserId);
  }

  async remove(user: UserContext, orgId: string, targetUserId: string): Promise<void> {
    const callerRole = await this.access.require(user.userId, orgId, 'member');
    const target = await this.targetRole(orgId, targetUserId);
    if (target === OWNER) throw forbidden('Cannot remove an OWNER from the organization.');
    if (callerRole === MEMBER) throw forbidden('Members cannot remove other members.');
    if (callerRole === ADMIN && target !== MEMBER) throw forbidden('Admins can only remove members with MEMBER role.');
    // The target's role and the caller's own are checked again in the statement itself.
    const removable = callerRole === OWNER ? [ADMIN, MEMBER] : [MEMBER];
    const [, removed]: [unknown, number] = await this.db.query(
      `DELETE FROM memberships t WHERE t.org_id = $1 AND t.user_id = $2 AND t.role = ANY($3)
         AND EXISTS (SELECT 1 FROM memberships c WHERE c.org_id = $1 AND c.user_id = $4 AND c.role = $5)`,
      [orgId, targetUserId, removable, user.userId, callerRole],
    );
    if (!removed)
      await this.refuseChanged(orgId, targetUserId, 'The member or your role changed meanwhile; try again.');
  }

  private async targetRole(orgId: string, userId: string): Promise<MembershipRole> {
    const role = await this.organizations.roleOf(userId, orgId);
    if (!role) throw notFound('Member not found: the user is not a member of this organization.');
    return role;
  }

  /** A conditional write that matched nothing: the target left (404) or its role changed (403). */
  private async refuseChanged(orgId: string, userId: string, message: string): Promise<never> {
    await this.targetRole(orgId, userId);
    throw forbidden(message);
  }

  private async one(orgId: string, userId: string): Promise<MembershipResponse> {
    const [row]: MembershipRow[] = await this.db.query(`${MEMBERSHIP_SELECT} WHERE m.org_id = $1 AND m.user_id = $2`, [
      orgId,
      userId,
    ]);
    if (!row) throw notFound('Member not found: the user is not a member of this organization.');
    return MembershipResponse.from(row);
  }
}
