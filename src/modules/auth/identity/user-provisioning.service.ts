import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { IdentityClaims } from './claims';

/** The one user every credential-less request acts as in development mode (AUTH_ENABLED=false). */
export const DEV_USER: IdentityClaims = {
  sub: 'dev-local-user-00000000',
  email: 'dev@localhost',
  displayName: 'Local Developer',
};

export const JIT_ORGANIZATION_NAME = 'My Organization';
export const ONBOARDING_PROJECT = { name: 'onboarding', description: 'Your onboarding project' };

export interface UserRow {
  id: string;
  external_id: string;
  email: string | null;
  display_name: string;
  created_at: Date;
  last_sign_in_at: Date | null;
}

const USER_COLUMNS = 'id, external_id, email, display_name, created_at, last_sign_in_at';

/**
 * Just-in-time users and organizations: the first verified token of a subject creates its user;
 * later ones stamp `last_sign_in_at` (at most once a minute: a write per request would cost more
 * than most requests) and fill a display name or email still empty. A user with no organization
 * gets "My Organization" with an `onboarding` project, as the original does.
 */
@Injectable()
export class UserProvisioningService {
  private readonly logger = new Logger('UserProvisioning');

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async upsert(claims: IdentityClaims): Promise<UserRow> {
    try {
      return await this.write(claims, claims.email);
    } catch (error) {
      // The email belongs to another identity (another IdP account): the user still signs in, without it.
      if ((error as { code?: string; constraint?: string }).code !== '23505') throw error;
      this.logger.warn({ sub: claims.sub }, 'Token email already belongs to another user; not stored for this one');
      return this.write(claims, null);
    }
  }

  private async write(claims: IdentityClaims, email: string | null): Promise<UserRow> {
    const rows: UserRow[] = await this.db.query(
      `INSERT INTO users (external_id, email, display_name, last_sign_in_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (external_id) DO UPDATE SET
         last_sign_in_at = now(),
         display_name = CASE WHEN users.display_name = '' THEN EXCLUDED.display_name ELSE users.display_name END,
         email = coalesce(users.email, EXCLUDED.email)
       WHERE users.last_sign_in_at IS NULL OR users.last_sign_in_at < now() - interval '1 minute'
          OR (users.display_name = '' AND EXCLUDED.display_name <> '')
          OR (users.email IS NULL AND EXCLUDED.email IS NOT NULL)
       RETURNING ${USER_COLUMNS}`,
      [claims.sub, email, claims.displayName],
    );
    if (rows[0]) return rows[0];
    const [row]: UserRow[] = await this.db.query(`SELECT ${USER_COLUMNS} FROM users WHERE external_id = $1`, [
      claims.sub,
    ]);
    return row;
  }

  findById(userId: string): Promise<UserRow | undefined> {
    return this.db.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId]).then((r: UserRow[]) => r[0]);
  }

  /**
   * Gives a user without any membership its own organization. Concurrent first requests of one user
   * serialize on an advisory lock, so exactly one organization is created.
   */
  async ensureOrganization(userId: string): Promise<void> {
    if (await this.hasMembership(this.db.manager, userId)) return;
    await this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`jit-organization:${userId}`]);
      if (await this.hasMembership(tx, userId)) return;
      const [org]: { id: string }[] = await tx.query(`INSERT INTO organizations (name) VALUES ($1) RETURNING id`, [
        JIT_ORGANIZATION_NAME,
      ]);
      await tx.query(`INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, 'OWNER')`, [userId, org.id]);
      await tx.query(`INSERT INTO projects (org_id, name, description) VALUES ($1, $2, $3)`, [
        org.id,
        ONBOARDING_PROJECT.name,
        ONBOARDING_PROJECT.description,
      ]);
    });
  }

  private async hasMembership(m: EntityManager, userId: string): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM memberships WHERE user_id = $1 LIMIT 1`, [userId]);
    return rows.length > 0;
  }
}
