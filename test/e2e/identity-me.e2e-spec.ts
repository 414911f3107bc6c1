import { randomUUID } from 'node:crypto';
import { identityToken, signIn } from '../support/identity';
import { createTenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/** GET /me: just-in-time users and organizations from verified tokens; X-Organization-ID everywhere. */
describe('identity: GET /me, just-in-time users and organizations', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_DEFAULT: '100000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates the user on first sight of a verified token, with its email and name, and keeps the same user after', async () => {
    const sub = `uid-${randomUUID()}`;
    const token = identityToken(t, { sub, email: 'Ada.Lovelace@Example.com', email_verified: true, name: 'Ada' });
    const before = Date.now();
    const first = await t.http.get('/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(first.body).toEqual({
      id: expect.any(String),
      email: 'Ada.Lovelace@Example.com',
      display_name: 'Ada',
      created_at: expect.any(String),
      last_sign_in_at: expect.any(String),
    });
    expect(Date.parse(first.body.last_sign_in_at)).toBeGreaterThanOrEqual(before - 1000);
    const again = await t.http.get('/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(again.body.id).toBe(first.body.id);
    const rows = await t.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE external_id = $1`, [sub]);
    expect(rows[0].n).toBe(1);
  });

  it('gives a user without any organization "My Organization" with an onboarding project, once, under concurrent first requests', async () => {
    const token = identityToken(t, { sub: `uid-${randomUUID()}`, email: `${randomUUID()}@example.com` });
    const answers = await Promise.all(
      Array.from({ length: 16 }, () => t.http.get('/organizations').set('Authorization', `Bearer ${token}`)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(200));
    const orgIds = new Set(answers.flatMap((a) => a.body.map((o: { id: string }) => o.id)));
    expect(orgIds.size).toBe(1);
    const [org] = answers[0].body;
    expect(org).toMatchObject({ name: 'My Organization', role: 'OWNER' });
    const projects = await t.http
      .get(`/organizations/${org.id}/projects`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(projects.body).toEqual([
      expect.objectContaining({ name: 'onboarding', description: 'Your onboarding project' }),
    ]);
  });

  it('gives a user who lost every organization a new one on their next request', async () => {
    const person = await signIn(t);
    await t.http.delete(`/organizations/${person.orgId}`).set(person.auth).expect(200);
    const orgs = await t.http.get('/organizations').set(person.auth).expect(200);
    expect(orgs.body).toHaveLength(1);
    expect(orgs.body[0].id).not.toBe(person.orgId);
  });

  it('refuses a subject with a lone surrogate instead of storing it as U+FFFD (two subjects would become one user)', async () => {
    for (const sub of ['user-\ud800', 'user-\udc00', '\udbff']) {
      const res = await t.http
        .get('/me')
        .set('Authorization', `Bearer ${identityToken(t, { sub })}`)
        .expect(401);
      expect(res.body).toEqual({ detail: 'Token has no usable subject (sub).' });
    }
    const rows = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM users WHERE external_id LIKE 'user-%\ufffd' OR external_id = '\ufffd'`,
    );
    expect(rows[0].n).toBe(0);
    // A well-formed pair is a real character and is kept as such.
    const ok = await t.http
      .get('/me')
      .set('Authorization', `Bearer ${identityToken(t, { sub: `user-😀-${randomUUID()}` })}`);
    expect(ok.status).toBe(200);
  });

  it('refuses management routes without a Bearer token, and API keys there', async () => {
    const tenant = await createTenant(t);
    for (const headers of [{}, { 'X-API-Key': tenant.apiKey }, { Authorization: 'Basic abc' }]) {
      const res = await t.http.get('/me').set(headers);
      expect(res.status).toBe(401);
      expect(typeof res.body.detail).toBe('string');
    }
  });

  it('checks X-Organization-ID wherever it is sent: 422 when not a UUID, 401 when the caller does not belong', async () => {
    const alice = await signIn(t);
    const bob = await signIn(t);
    const withOrg = (org: string) => ({ ...alice.auth, 'X-Organization-ID': org });
    await t.http.get('/me').set(withOrg(alice.orgId)).expect(200);
    expect((await t.http.get('/me').set(withOrg('not-a-uuid')).expect(422)).body.detail).toBe(
      'X-Organization-ID must be a valid UUID.',
    );
    for (const org of [bob.orgId, randomUUID()]) {
      const res = await t.http.get(`/organizations/${alice.orgId}`).set(withOrg(org)).expect(401);
      expect(res.body).toEqual({ detail: 'You are not a member of the specified organization.' });
    }
    // Data plane, Bearer + X-Project-ID: the same check.
    const projects = await t.http.get(`/organizations/${alice.orgId}/projects`).set(alice.auth).expect(200);
    const bearer = { ...alice.auth, 'X-Project-ID': projects.body[0].id };
    await t.http
      .get('/traces')
      .set({ ...bearer, 'X-Organization-ID': alice.orgId })
      .expect(200);
    await t.http
      .get('/traces')
      .set({ ...bearer, 'X-Organization-ID': bob.orgId })
      .expect(401);
    await t.http
      .get('/traces')
      .set({ ...bearer, 'X-Organization-ID': 'nope' })
      .expect(422);
    // Data plane, API key: the key's own organization only.
    const tenant = await createTenant(t);
    await t.http
      .get('/traces')
      .set({ ...tenant.headers, 'X-Organization-ID': tenant.orgId })
      .expect(200);
    await t.http
      .get('/traces')
      .set({ ...tenant.headers, 'X-Organization-ID': alice.orgId })
      .expect(401);
  });
});
