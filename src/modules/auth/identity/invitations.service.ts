import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../../config/config.module';
import { AppConfig } from '../../../config/env';
import { conflict, DomainError, ErrorCode, forbidden, notFound } from '../../../common/errors/domain.error';
import { MembershipRole } from '../entities/membership.entity';
import { UserContext } from '../types/project-context';
import {
  CreateInvitationRequest,
  InvitationResponse,
  InvitationRow,
  MembershipResponse,
  MembershipRow,
} from './identity.dto';
import { MEMBERSHIP_SELECT } from './members.service';
import { OrgAccess } from './org-access';
import { UserProvisioningService } from './user-provisioning.service';

const TTL = `interval '7 days'`;

/** Invitations with what the dashboard shows beside them; a PENDING row past its expiry reads EXPIRED. */
const INVITATION_SELECT = `SELECT i.id, i.org_id, o.name AS org_name, i.email, i.role,
    CASE WHEN i.status = 'PENDING' AND i.expires_at <= now() THEN 'EXPIRED' ELSE i.status END AS status,
    i.invited_by, inviter.display_name AS inviter_display_name, inviter.email AS inviter_email,
    i.created_at, i.expires_at
  FROM invitations i JOIN organizations o ON o.id = i.org_id LEFT JOIN users inviter ON inviter.id = i.invited_by`;

/**
 * Invitations: created by ADMINs and OWNERs for 7 days, answered by the invitee, who is matched on
 * the email of their verified token, case-insensitively (emails are stored lower-cased). At most one
 * PENDING invitation per organization and email (a partial unique index). Seats (members plus
 * pending invitations) are unlimited unless MAX_ORG_MEMBERS is set, counted under a per-organization
 * lock so concurrent invitations cannot overshoot it.
 */
@Injectable()
export class InvitationsService {
  private readonly maxMembers?: number;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: OrgAccess,
    private readonly users: UserProvisioningService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxMembers = config.organizations.maxMembers;
  }

  async create(user: UserContext, orgId: string, body: CreateInvitationRequest): Promise<InvitationResponse> {
    const role = body.role ?? MembershipRole.MEMBER;
    const callerRole = await this.access.require(user.userId, orgId, 'member');
    if (callerRole === MembershipRole.MEMBER) throw forbidden('Members cannot invite users to the organization.');
    if (callerRole === MembershipRole.ADMIN && role !== MembershipRole.MEMBER) {
      throw forbidden('Admins can only invite users with MEMBER role.');
    }
    if (role === MembershipRole.OWNER) throw forbidden('Cannot invite a user as OWNER.');
    const email = body.email.trim().toLowerCase();
    const me = await this.users.findById(user.userId);
    if (me?.email?.toLowerCase() === email) throw conflict('You cannot invite yourself.');
    const id = await this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`org-seats:${orgId}`]);
      const member: unknown[] = await tx.query(
        `SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND lower(u.email) = $2`,
        [orgId, email],
      );
      if (member.length) throw conflict('User is already a member of this organization.');
      // An overdue PENDING row no longer blocks a new invitation: it is expired for good.
      await tx.query(
        `UPDATE invitations SET status = 'EXPIRED' WHERE org_id = $1 AND email = $2 AND status = 'PENDING' AND expires_at <= now()`,
        [orgId, email],
      );
      await this.checkSeats(tx, orgId);
      const rows: { id: string }[] = await tx.query(
        `INSERT INTO invitations (org_id, email, role, invited_by, expires_at) VALUES ($1, $2, $3, $4, now() + ${TTL})
         ON CONFLICT (org_id, email) WHERE status = 'PENDING' DO NOTHING RETURNING id`,
        [orgId, email, role, user.userId],
      );
      if (!rows.length) throw conflict('An invitation for this email is already pending.');
      return rows[0].id;
    });
    return this.one(id);
  }

  async list(user: UserContext, orgId: string): Promise<InvitationResponse[]> {
    await this.access.require(user.userId, orgId, 'member');
    const rows: InvitationRow[] = await this.db.query(
      `${INVITATION_SELECT} WHERE i.org_id = $1 ORDER BY i.created_at DESC, i.id`,
      [orgId],
    );
    return rows.map((r) => InvitationResponse.from(r));
  }

  /** Members of the organization only; then ADMIN/OWNER; only a pending invitation can be revoked. */
  async revoke(user: UserContext, orgId: string, invitationId: string): Promise<void> {
    await this.access.require(user.userId, orgId, 'member');
    const [row]: InvitationRow[] = await this.db.query(`${INVITATION_SELECT} WHERE i.id = $1 AND i.org_id = $2`, [
      invitationId,
      orgId,
    ]);
    if (!row) throw notFound('Invitation not found.');
    await this.access.require(user.userId, orgId, 'admin');
    const [, n]: [unknown, number] = await this.db.query(
      `UPDATE invitations SET status = 'REVOKED' WHERE id = $1 AND org_id = $2 AND status = 'PENDING'`,
      [invitationId, orgId],
    );
    if (!n) throw conflict('Only pending invitations can be revoked.');
  }

  /** The caller's pending, unexpired invitations, across organizations, newest first. */
  async mine(user: UserContext): Promise<InvitationResponse[]> {
    const me = await this.users.findById(user.userId);
    if (!me?.email) return [];
    const rows: InvitationRow[] = await this.db.query(
      `${INVITATION_SELECT} WHERE i.email = $1 AND i.status = 'PENDING' AND i.expires_at > now()
       ORDER BY i.created_at DESC, i.id`,
      [me.email.toLowerCase()],
    );
    return rows.map((r) => InvitationResponse.from(r));
  }

  async accept(user: UserContext, invitationId: string): Promise<MembershipResponse> {
    await this.answerable(user, invitationId);
    const membership = await this.db.transaction(async (tx) => {
      const taken = await this.take(tx, invitationId, 'ACCEPTED');
      const inserted: { id: string }[] = await tx.query(
        `INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3) ON CONFLICT (user_id, org_id) DO NOTHING RETURNING id`,
        [user.userId, taken.org_id, taken.role],
      );
      // Rolls the ACCEPTED back: the invitation stays PENDING, as the original leaves it.
      if (!inserted.length) throw conflict('You are already a member of this organization.');
      const [row]: MembershipRow[] = await tx.query(`${MEMBERSHIP_SELECT} WHERE m.id = $1`, [inserted[0].id]);
      return row;
    });
    return MembershipResponse.from(membership);
  }

  async decline(user: UserContext, invitationId: string): Promise<void> {
    await this.answerable(user, invitationId);
    await this.db.transaction((tx) => this.take(tx, invitationId, 'DECLINED'));
  }

  /** The original's checks, in its order: exists, addressed to the caller, still pending, not expired. */
  private async answerable(user: UserContext, invitationId: string): Promise<InvitationRow> {
    const [row]: InvitationRow[] = await this.db.query(`${INVITATION_SELECT} WHERE i.id = $1`, [invitationId]);
    if (!row) throw notFound('Invitation not found.');
    const me = await this.users.findById(user.userId);
    if (!me) throw notFound('User not found.');
    if (!me.email || me.email.toLowerCase() !== row.email) {
      throw forbidden('This invitation was sent to a different email address.');
    }
    if (row.status === 'EXPIRED') {
      await this.db.query(`UPDATE invitations SET status = 'EXPIRED' WHERE id = $1 AND status = 'PENDING'`, [
        invitationId,
      ]);
      throw conflict('This invitation has expired.');
    }
    if (row.status !== 'PENDING') throw conflict('This invitation has already been processed.');
    return row;
  }

  /** Moves a PENDING, unexpired invitation to `status`; a concurrent answer or expiry gets 409. */
  private async take(tx: EntityManager, invitationId: string, status: 'ACCEPTED' | 'DECLINED'): Promise<InvitationRow> {
    // An UPDATE answers [rows, affected count].
    const [rows]: [InvitationRow[], number] = await tx.query(
      `UPDATE invitations SET status = $2 WHERE id = $1 AND status = 'PENDING' AND expires_at > now() RETURNING org_id, role`,
      [invitationId, status],
    );
    if (!rows.length) throw conflict('This invitation has already been processed.');
    return rows[0];
  }

  private async checkSeats(tx: EntityManager, orgId: string): Promise<void> {
    if (this.maxMembers === undefined) return;
    const [{ seats }]: { seats: number }[] = await tx.query(
      `SELECT (SELECT count(*) FROM memberships WHERE org_id = $1)
            + (SELECT count(*) FROM invitations WHERE org_id = $1 AND status = 'PENDING' AND expires_at > now()) AS seats`,
      [orgId],
    );
    if (Number(seats) >= this.maxMembers) {
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        `This organization allows up to ${this.maxMembers} member(s) (MAX_ORG_MEMBERS), pending invitations included.`,
      );
    }
  }

  private async one(id: string): Promise<InvitationResponse> {
    const [row]: InvitationRow[] = await this.db.query(`${INVITATION_SELECT} WHERE i.id = $1`, [id]);
    return InvitationResponse.from(row);
  }
}
