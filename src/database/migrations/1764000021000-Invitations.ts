import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organization invitations (docs/identity.md). Emails are stored lower-cased, so matching the
 * invitee is an index lookup. One PENDING invitation per organization and email, enforced by a
 * partial unique index (race-safe); expiry is read from `expires_at`, a row past it reads EXPIRED.
 * Users are looked up by lower(email) to tell "already a member" when inviting.
 */
export class Invitations1764000021000 implements MigrationInterface {
  name = 'Invitations1764000021000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        email varchar(320) NOT NULL CHECK (email = lower(email)),
        role varchar(20) NOT NULL DEFAULT 'MEMBER' CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
        status varchar(20) NOT NULL DEFAULT 'PENDING'
          CHECK (status IN ('PENDING', 'ACCEPTED', 'DECLINED', 'REVOKED', 'EXPIRED')),
        invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_invitations_org_created ON invitations (org_id, created_at DESC)`);
    await q.query(
      `CREATE INDEX ix_invitations_email_pending ON invitations (email, created_at DESC) WHERE status = 'PENDING'`,
    );
    await q.query(`CREATE UNIQUE INDEX uq_invitations_pending ON invitations (org_id, email) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX ix_users_email_lower ON users (lower(email))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_users_email_lower`);
    await q.query(`DROP TABLE IF EXISTS invitations`);
  }
}
