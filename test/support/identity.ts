import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { TestApp } from './test-app';

/** A person signed in through a token of ours: their user, and the organization they got on first sight. */
export interface SignedIn {
  sub: string;
  email: string;
  token: string;
  auth: { Authorization: string };
  userId: string;
  /** The "My Organization" created for them on their first request. */
  orgId: string;
}

export function identityToken(t: TestApp, claims: Record<string, unknown>, options: jwt.SignOptions = {}): string {
  return jwt.sign(claims, t.config.auth.jwtSecret!, { algorithm: 'HS256', expiresIn: '1h', ...options });
}

/** Signs a new person in (GET /me), as the dashboard's first call does. */
export async function signIn(
  t: TestApp,
  opts: { email?: string; name?: string; sub?: string } = {},
): Promise<SignedIn> {
  const sub = opts.sub ?? `firebase-uid-${randomUUID()}`;
  const email = opts.email ?? `${sub}@example.com`;
  const token = identityToken(t, { sub, email, email_verified: true, name: opts.name ?? `Person ${sub.slice(-6)}` });
  const auth = { Authorization: `Bearer ${token}` };
  const me = await t.http.get('/me').set(auth).expect(200);
  const orgs = await t.http.get('/organizations').set(auth).expect(200);
  return { sub, email, token, auth, userId: me.body.id, orgId: orgs.body[0].id };
}

/** Adds a signed-in person to an organization with a role, as an accepted invitation would. */
export async function addToOrg(t: TestApp, who: SignedIn, orgId: string, role: MembershipRole): Promise<void> {
  await t.dataSource.query(`INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3)`, [
    who.userId,
    orgId,
    role,
  ]);
}

/**
 * An organization with one person per role, plus a signed-in stranger and the owner of another
 * organization: the callers of every role matrix.
 */
export async function roleCast(t: TestApp) {
  const owner = await signIn(t);
  const admin = await signIn(t);
  const member = await signIn(t);
  const stranger = await signIn(t);
  const otherOwner = await signIn(t);
  await addToOrg(t, admin, owner.orgId, MembershipRole.ADMIN);
  await addToOrg(t, member, owner.orgId, MembershipRole.MEMBER);
  return { orgId: owner.orgId, owner, admin, member, stranger, otherOwner };
}
