import { randomUUID } from 'node:crypto';
import { identityToken, roleCast, signIn, SignedIn } from '../support/identity';
import { createTestApp, TestApp } from '../support/test-app';

type Cast = Awaited<ReturnType<typeof roleCast>>;
type Caller = 'owner' | 'admin' | 'member' | 'stranger' | 'otherOwner';
const CALLERS: Caller[] = ['owner', 'admin', 'member', 'stranger', 'otherOwner'];

/** Invitations end to end: create, list, revoke; the invitee accepts or declines, matched on the token's email. */
describe('identity: invitations', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_DEFAULT: '100000', RATE_LIMIT_INVITATIONS: '1000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const invite = (cast: Cast, who: SignedIn, body: object) =>
    t.http.post(`/organizations/${cast.orgId}/invitations`).set(who.auth).send(body);
  const email = () => `invitee-${randomUUID().slice(0, 8)}@example.com`;

  it('life cycle with two people: invite (mixed case), the invitee signs in later, sees it, accepts, and is a member', async () => {
    const cast = await roleCast(t);
    const address = email();
    const created = await invite(cast, cast.owner, { email: `  ${address.toUpperCase()} `, role: 'ADMIN' }).expect(201);
    const expiresIn = Date.parse(created.body.expires_at) - Date.parse(created.body.created_at);
    expect(created.body).toEqual({
      id: expect.any(String),
      org_id: cast.orgId,
      org_name: 'My Organization',
      email: address,
      role: 'ADMIN',
      status: 'PENDING',
      invited_by: cast.owner.userId,
      inviter_display_name: expect.stringMatching(/^Person /),
      inviter_email: cast.owner.email,
      created_at: expect.any(String),
      expires_at: expect.any(String),
    });
    expect(Math.abs(expiresIn - 7 * 86_400_000)).toBeLessThan(5_000);

    // The invitee had no account: first sign-in (own JIT organization), then the invitation shows, email case ignored.
    const invitee = await signIn(t, { email: address.replace('invitee', 'Invitee').toUpperCase() });
    const mine = await t.http.get('/me/invitations').set(invitee.auth).expect(200);
    expect(mine.body).toEqual([created.body]);
    expect((await t.http.get('/me/invitations').set(cast.member.auth).expect(200)).body).toEqual([]);

    const accepted = await t.http.post(`/me/invitations/${created.body.id}/accept`).set(invitee.auth).expect(200);
    expect(accepted.body).toEqual({
      id: expect.any(String),
      user_id: invitee.userId,
      org_id: cast.orgId,
      role: 'ADMIN',
      display_name: expect.any(String),
      email: invitee.email.toUpperCase(),
      created_at: expect.any(String),
    });
    const orgs = await t.http.get('/organizations').set(invitee.auth).expect(200);
    expect(orgs.body.map((o: { id: string; role: string }) => [o.id, o.role])).toContainEqual([cast.orgId, 'ADMIN']);
    expect((await t.http.get('/me/invitations').set(invitee.auth).expect(200)).body).toEqual([]);
    const listed = await t.http.get(`/organizations/${cast.orgId}/invitations`).set(cast.member.auth).expect(200);
    expect(listed.body).toEqual([expect.objectContaining({ id: created.body.id, status: 'ACCEPTED' })]);
    // Answered once only; and now they are a member, a new invitation is refused.
    expect((await t.http.post(`/me/invitations/${created.body.id}/accept`).set(invitee.auth).expect(409)).body).toEqual(
      {
        detail: 'This invitation has already been processed.',
      },
    );
    expect((await invite(cast, cast.owner, { email: address }).expect(409)).body).toEqual({
      detail: 'User is already a member of this organization.',
    });
  });

  it('decline, revoke, wrong person, expiry, already a member: each answer and the status it leaves', async () => {
    const cast = await roleCast(t);
    const invitee = await signIn(t);
    const a = await invite(cast, cast.admin, { email: invitee.email }).expect(201);
    expect((await t.http.post(`/me/invitations/${a.body.id}/accept`).set(cast.stranger.auth).expect(403)).body).toEqual(
      {
        detail: 'This invitation was sent to a different email address.',
      },
    );
    await t.http.post(`/me/invitations/${a.body.id}/decline`).set(invitee.auth).expect(204);
    await t.http.post(`/me/invitations/${a.body.id}/decline`).set(invitee.auth).expect(409);
    await t.http.post(`/me/invitations/${randomUUID()}/accept`).set(invitee.auth).expect(404);
    await t.http.post(`/me/invitations/nope/accept`).set(invitee.auth).expect(422);

    // A declined invitation no longer blocks a new one; a pending one does.
    const b = await invite(cast, cast.owner, { email: invitee.email }).expect(201);
    expect((await invite(cast, cast.owner, { email: invitee.email }).expect(409)).body).toEqual({
      detail: 'An invitation for this email is already pending.',
    });
    await t.http.delete(`/organizations/${cast.orgId}/invitations/${b.body.id}`).set(cast.member.auth).expect(403);
    await t.http.delete(`/organizations/${cast.orgId}/invitations/${b.body.id}`).set(cast.admin.auth).expect(204);
    expect(
      (await t.http.delete(`/organizations/${cast.orgId}/invitations/${b.body.id}`).set(cast.owner.auth).expect(409))
        .body,
    ).toEqual({
      detail: 'Only pending invitations can be revoked.',
    });
    expect((await t.http.post(`/me/invitations/${b.body.id}/accept`).set(invitee.auth).expect(409)).body.detail).toBe(
      'This invitation has already been processed.',
    );

    // Past its 7 days: reads EXPIRED, cannot be answered, and a new invitation may be sent.
    const c = await invite(cast, cast.owner, { email: invitee.email }).expect(201);
    await t.dataSource.query(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      c.body.id,
    ]);
    expect((await t.http.get('/me/invitations').set(invitee.auth).expect(200)).body).toEqual([]);
    expect((await t.http.post(`/me/invitations/${c.body.id}/accept`).set(invitee.auth).expect(409)).body).toEqual({
      detail: 'This invitation has expired.',
    });
    const statuses = (
      await t.http.get(`/organizations/${cast.orgId}/invitations`).set(cast.owner.auth).expect(200)
    ).body.map((i: { id: string; status: string }) => [i.id, i.status]);
    expect(statuses).toEqual([
      [c.body.id, 'EXPIRED'],
      [b.body.id, 'REVOKED'],
      [a.body.id, 'DECLINED'],
    ]);
    const d = await invite(cast, cast.owner, { email: invitee.email }).expect(201);

    // Already a member by another way: 409, and the invitation stays PENDING.
    await t.dataSource.query(`INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, 'MEMBER')`, [
      invitee.userId,
      cast.orgId,
    ]);
    expect((await t.http.post(`/me/invitations/${d.body.id}/accept`).set(invitee.auth).expect(409)).body).toEqual({
      detail: 'You are already a member of this organization.',
    });
    const [row] = await t.dataSource.query(`SELECT status FROM invitations WHERE id = $1`, [d.body.id]);
    expect(row.status).toBe('PENDING');
  });

  it('POST invitations: role matrix and the original’s rules on roles, self and input', async () => {
    const statuses = {} as Record<Caller, number>;
    for (const caller of CALLERS) {
      const cast = await roleCast(t);
      statuses[caller] = (await invite(cast, cast[caller], { email: email() })).status;
    }
    expect(statuses).toEqual({ owner: 201, admin: 201, member: 403, stranger: 403, otherOwner: 403 });
    const cast = await roleCast(t);
    const refusals: [SignedIn, object, number, string][] = [
      [cast.member, { email: email() }, 403, 'Members cannot invite users to the organization.'],
      [cast.admin, { email: email(), role: 'ADMIN' }, 403, 'Admins can only invite users with MEMBER role.'],
      [cast.owner, { email: email(), role: 'OWNER' }, 403, 'Cannot invite a user as OWNER.'],
      [cast.owner, { email: cast.owner.email.toUpperCase() }, 409, 'You cannot invite yourself.'],
      [cast.owner, { email: cast.admin.email }, 409, 'User is already a member of this organization.'],
    ];
    for (const [who, body, status, detail] of refusals) {
      expect((await invite(cast, who, body).expect(status)).body).toEqual({ detail });
    }
    await invite(cast, cast.owner, { email: email(), role: 'ADMIN' }).expect(201);
    for (const body of [
      {},
      { email: 'no-at-sign' },
      { email: 'a@' + 'b'.repeat(320) },
      { email: email(), role: 'KING' },
    ]) {
      expect((await invite(cast, cast.owner, body).expect(422)).body.detail).toBe('Validation error');
    }
  });

  it('GET and DELETE organization invitations: role matrix; another organization’s invitation is 404 and stays', async () => {
    const cast = await roleCast(t);
    const pending = await invite(cast, cast.owner, { email: email() }).expect(201);
    const statuses = {} as Record<Caller, number>;
    for (const caller of CALLERS) {
      statuses[caller] = (await t.http.get(`/organizations/${cast.orgId}/invitations`).set(cast[caller].auth)).status;
    }
    expect(statuses).toEqual({ owner: 200, admin: 200, member: 200, stranger: 403, otherOwner: 403 });
    // Another organization's owner, through their own organization's path: not found there.
    await t.http
      .delete(`/organizations/${cast.otherOwner.orgId}/invitations/${pending.body.id}`)
      .set(cast.otherOwner.auth)
      .expect(404);
    await t.http
      .delete(`/organizations/${cast.orgId}/invitations/${pending.body.id}`)
      .set(cast.otherOwner.auth)
      .expect(403);
    await t.http
      .delete(`/organizations/${cast.orgId}/invitations/${pending.body.id}`)
      .set(cast.stranger.auth)
      .expect(403);
    const [row] = await t.dataSource.query(`SELECT status FROM invitations WHERE id = $1`, [pending.body.id]);
    expect(row.status).toBe('PENDING');
  });

  it('concurrent invitations of one email: exactly one is created', async () => {
    const cast = await roleCast(t);
    const address = email();
    const answers = await Promise.all(Array.from({ length: 12 }, () => invite(cast, cast.owner, { email: address })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array(11).fill(409)]);
  });

  it('concurrent accept and decline of one invitation: exactly one wins', async () => {
    const cast = await roleCast(t);
    const invitee = await signIn(t);
    const inv = await invite(cast, cast.owner, { email: invitee.email }).expect(201);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.http.post(`/me/invitations/${inv.body.id}/${i % 2 ? 'accept' : 'decline'}`).set(invitee.auth),
      ),
    );
    const ok = answers.filter((a) => a.status === 200 || a.status === 204);
    expect(ok).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(9);
    const [members] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM memberships WHERE org_id = $1 AND user_id = $2`,
      [cast.orgId, invitee.userId],
    );
    expect(members.n).toBe(ok[0].status === 200 ? 1 : 0);
  });

  it('an email the token says is unverified matches no invitation', async () => {
    const cast = await roleCast(t);
    const address = email();
    const inv = await invite(cast, cast.owner, { email: address }).expect(201);
    const auth = {
      Authorization: `Bearer ${identityToken(t, { sub: `uid-${randomUUID()}`, email: address, email_verified: false })}`,
    };
    expect((await t.http.get('/me').set(auth).expect(200)).body.email).toBeNull();
    expect((await t.http.get('/me/invitations').set(auth).expect(200)).body).toEqual([]);
    await t.http.post(`/me/invitations/${inv.body.id}/accept`).set(auth).expect(403);
  });
});

describe('identity: invitation limits set by the operator', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_DEFAULT: '100000', RATE_LIMIT_INVITATIONS: '1000', MAX_ORG_MEMBERS: '4' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('MAX_ORG_MEMBERS counts members and pending invitations, and holds under concurrent invitations', async () => {
    const cast = await roleCast(t); // 3 members: one seat left
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.http
          .post(`/organizations/${cast.orgId}/invitations`)
          .set(cast.owner.auth)
          .send({ email: `seat-${i}-${randomUUID()}@example.com` }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array(9).fill(429)]);
    expect(answers.find((a) => a.status === 429)!.body.detail).toBe(
      'This organization allows up to 4 member(s) (MAX_ORG_MEMBERS), pending invitations included.',
    );
    // Revoking frees the seat.
    const created = answers.find((a) => a.status === 201)!;
    await t.http.delete(`/organizations/${cast.orgId}/invitations/${created.body.id}`).set(cast.owner.auth).expect(204);
    await t.http
      .post(`/organizations/${cast.orgId}/invitations`)
      .set(cast.owner.auth)
      .send({ email: `x-${randomUUID()}@example.com` })
      .expect(201);
  });
});

describe('identity: invitation rate limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_INVITATIONS: '3' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts invitations per caller per hour (RATE_LIMIT_INVITATIONS), apart from other routes', async () => {
    const cast = await roleCast(t);
    const send = () =>
      t.http
        .post(`/organizations/${cast.orgId}/invitations`)
        .set(cast.owner.auth)
        .send({ email: `r-${randomUUID()}@example.com` });
    for (let i = 0; i < 3; i++) await send().expect(201);
    const limited = await send().expect(429);
    expect(limited.body.error).toBe('Rate limit exceeded: 3 per 1 hour');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(60);
    await t.http.get(`/organizations/${cast.orgId}/invitations`).set(cast.owner.auth).expect(200);
    // Another caller has their own budget.
    await t.http
      .post(`/organizations/${cast.orgId}/invitations`)
      .set(cast.admin.auth)
      .send({ email: `r-${randomUUID()}@example.com` })
      .expect(201);
  });
});
