import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ApiKeyAuthService } from '../../src/modules/auth/api-key-auth.service';
import { ApiKeyEntity } from '../../src/modules/auth/entities/api-key.entity';
import { ProjectEntity } from '../../src/modules/auth/entities/project.entity';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { createTestApp, TestApp } from '../support/test-app';
import { createMember, createTenant, signToken, Tenant } from '../support/tenancy';

describe('auth', () => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    t = await createTestApp();
    a = await createTenant(t);
    b = await createTenant(t);
  });
  afterAll(() => t.close());

  const current = (headers: Record<string, string>) => t.http.get('/projects/current').set(headers);

  describe('API key + X-Project-Name', () => {
    it('resolves the project of the key’s organization', async () => {
      const res = await current(a.headers).expect(200);
      expect(res.body).toMatchObject({ id: a.projectId, org_id: a.orgId, name: a.projectName });
    });

    it('accepts header names in any case (the Go CLI sends X-Api-Key)', async () => {
      const res = await current({ 'x-api-key': a.apiKey, 'X-PROJECT-NAME': a.projectName }).expect(200);
      expect(res.body.id).toBe(a.projectId);
      await current({ 'X-Api-Key': a.apiKey, 'X-Project-Name': a.projectName }).expect(200);
    });

    it('401 without any credentials', async () => {
      const res = await t.http.get('/projects/current').expect(401);
      expect(res.body.detail).toMatch(/Missing credentials/);
    });

    it('401 for an unknown key, with the error body', async () => {
      const res = await current({ 'X-API-Key': `sk_pp_${'0'.repeat(64)}`, 'X-Project-Name': 'x' }).expect(401);
      expect(res.body).toEqual({ detail: 'Invalid or revoked API key.' });
      await current({ 'X-API-Key': 'garbage', 'X-Project-Name': 'x' }).expect(401);
    });

    it('401 for a revoked key, immediately', async () => {
      const c = await createTenant(t);
      await current(c.headers).expect(200); // now in the lookup cache
      await t.app.get(ApiKeyAuthService).revoke(c.orgId, c.apiKeyId);
      const res = await current(c.headers).expect(401);
      expect(res.body.detail).toBe('Invalid or revoked API key.');
    });

    it('401 for an expired key', async () => {
      const c = await createTenant(t);
      await t.dataSource
        .getRepository(ApiKeyEntity)
        .update({ id: c.apiKeyId }, { expiresAt: new Date(Date.now() - 1000) });
      const res = await current(c.headers).expect(401);
      expect(res.body.detail).toMatch(/expired/);
    });

    it('422 when the project name is missing or malformed, saying what to send', async () => {
      const missing = await current({ 'X-API-Key': a.apiKey }).expect(422);
      expect(missing.body.detail).toMatch(/X-Project-Name/);
      const blank = await current({ 'X-API-Key': a.apiKey, 'X-Project-Name': '   ' }).expect(422);
      expect(blank.body.detail).toMatch(/X-Project-Name/);
      const bad = await current({ 'X-API-Key': a.apiKey, 'X-Project-Name': '-bad name!' }).expect(422);
      expect(bad.body.detail).toMatch(/X-Project-Name must/);
      const long = await current({ 'X-API-Key': a.apiKey, 'X-Project-Name': 'a'.repeat(256) }).expect(422);
      expect(long.body.detail).toMatch(/X-Project-Name must/);
    });

    it('creates a new project name under the key’s organization on first use, once', async () => {
      const name = `auto ${randomUUID().slice(0, 8)}`;
      const [r1, r2] = await Promise.all([
        current({ 'X-API-Key': a.apiKey, 'X-Project-Name': name }).expect(200),
        current({ 'X-API-Key': a.apiKey, 'X-Project-Name': name }).expect(200),
      ]);
      expect(r1.body.id).toBe(r2.body.id);
      expect(r1.body.org_id).toBe(a.orgId);
      expect(await t.dataSource.getRepository(ProjectEntity).countBy({ orgId: a.orgId, name })).toBe(1);
    });

    it('never reaches another organization’s project by name: the same name is a different project', async () => {
      const res = await current({ 'X-API-Key': a.apiKey, 'X-Project-Name': b.projectName }).expect(200);
      expect(res.body.org_id).toBe(a.orgId);
      expect(res.body.id).not.toBe(b.projectId);
    });
  });

  describe('Bearer JWT + X-Project-ID', () => {
    it('lets a member reach the project', async () => {
      const m = await createMember(t, a);
      const res = await current(m.headers).expect(200);
      expect(res.body.id).toBe(a.projectId);
    });

    it('404 for a project of an organization the user is not a member of, as for an unknown project', async () => {
      const m = await createMember(t, a);
      const res = await current({ ...m.headers, 'X-Project-ID': b.projectId }).expect(404);
      expect(res.body).toEqual({ detail: `Project ${b.projectId} not found.` });
    });

    it('404 for an unknown project, 422 for a malformed or missing id', async () => {
      const m = await createMember(t, a);
      await current({ ...m.headers, 'X-Project-ID': randomUUID() }).expect(404);
      const bad = await current({ ...m.headers, 'X-Project-ID': 'nope' }).expect(422);
      expect(bad.body.detail).toMatch(/X-Project-ID must be a valid UUID/);
      const missing = await current({ Authorization: m.headers.Authorization }).expect(422);
      expect(missing.body.detail).toMatch(/X-Project-ID/);
    });

    it('401 for alg none, a wrong signature, an expired token, garbage', async () => {
      const m = await createMember(t, a);
      const none = jwt.sign({ sub: m.externalId }, '', { algorithm: 'none' });
      const wrongKey = signToken(t, m.externalId, {}, 'another-secret-another-secret');
      const expired = signToken(t, m.externalId, { expiresIn: -10 });
      for (const token of [none, wrongKey, expired, 'not.a.jwt']) {
        const res = await current({ Authorization: `Bearer ${token}`, 'X-Project-ID': a.projectId }).expect(401);
        expect(res.body.detail).toMatch(/Invalid bearer token/);
      }
    });

    it('the API key wins when both credentials are sent', async () => {
      const m = await createMember(t, a);
      const res = await current({ ...m.headers, 'X-Project-ID': a.projectId, ...b.headers }).expect(200);
      expect(res.body.id).toBe(b.projectId);
      // and a bad key is not rescued by a good token
      await current({ ...m.headers, 'X-API-Key': 'sk_pp_bad', 'X-Project-Name': 'x' }).expect(401);
    });
  });

  describe('management routes (Bearer only)', () => {
    it('creates an organization, a project and an API key that works; lists; revokes', async () => {
      const sub = `owner-${randomUUID()}`;
      const auth = { Authorization: `Bearer ${signToken(t, sub)}` };
      const org = await t.http.post('/organizations').set(auth).send({ name: 'Acme' }).expect(201);
      expect(org.body).toMatchObject({ name: 'Acme', role: 'OWNER' });
      // Besides the "My Organization" a new user gets on their first request (docs/identity.md).
      const orgs = await t.http.get('/organizations').set(auth).expect(200);
      expect(orgs.body.map((o: { name: string; role: string }) => [o.name, o.role]).sort()).toEqual([
        ['Acme', 'OWNER'],
        ['My Organization', 'OWNER'],
      ]);

      const project = await t.http
        .post(`/organizations/${org.body.id}/projects`)
        .set(auth)
        .send({ name: 'web' })
        .expect(201);
      expect(project.body).toMatchObject({ org_id: org.body.id, name: 'web', description: '' });
      await t.http.post(`/organizations/${org.body.id}/projects`).set(auth).send({ name: 'web' }).expect(409);

      const key = await t.http
        .post(`/organizations/${org.body.id}/api-keys`)
        .set(auth)
        .send({ name: 'ci' })
        .expect(201);
      expect(key.body.raw_key).toMatch(/^sk_pp_[0-9a-f]{64}$/);
      expect(key.body).toMatchObject({ key_prefix: key.body.raw_key.slice(0, 10), is_active: true, expires_at: null });
      await current({ 'X-API-Key': key.body.raw_key, 'X-Project-Name': 'web' }).expect(200);

      const keys = await t.http.get(`/organizations/${org.body.id}/api-keys`).set(auth).expect(200);
      expect(keys.body).toHaveLength(1);
      expect(keys.body[0].raw_key).toBeNull();
      expect(JSON.stringify(keys.body)).not.toContain(key.body.raw_key);

      await t.http.delete(`/organizations/${org.body.id}/api-keys/${key.body.id}`).set(auth).expect(204);
      await current({ 'X-API-Key': key.body.raw_key, 'X-Project-Name': 'web' }).expect(401);
    });

    it('stores only the SHA-256 hash of a key', async () => {
      const rows: { key_hash: string }[] = await t.dataSource.query('SELECT key_hash FROM api_keys WHERE id = $1', [
        a.apiKeyId,
      ]);
      expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0].key_hash).not.toContain(a.apiKey.slice(6));
      const dump = JSON.stringify(await t.dataSource.query('SELECT * FROM api_keys'));
      expect(dump).not.toContain(a.apiKey);
    });

    it('90d keys expire in 90 days', async () => {
      const sub = `owner-${randomUUID()}`;
      const auth = { Authorization: `Bearer ${signToken(t, sub)}` };
      const org = await t.http.post('/organizations').set(auth).send({ name: 'Dev' }).expect(201);
      const key = await t.http
        .post(`/organizations/${org.body.id}/api-keys`)
        .set(auth)
        .send({ name: 'dev', expiration: '90d' })
        .expect(201);
      const days = (Date.parse(key.body.expires_at) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(89.9);
      expect(days).toBeLessThan(90.1);
    });

    it('refuses API keys, non-members (403) and members without the admin role (403)', async () => {
      await t.http.get('/organizations').set(a.headers).expect(401);
      const outsider = { Authorization: `Bearer ${signToken(t, `x-${randomUUID()}`)}` };
      await t.http.get(`/organizations/${a.orgId}/projects`).set(outsider).expect(403);
      await t.http.post(`/organizations/${a.orgId}/api-keys`).set(outsider).send({ name: 'steal' }).expect(403);
      const member = await createMember(t, a, MembershipRole.MEMBER);
      const auth = { Authorization: member.headers.Authorization };
      await t.http.get(`/organizations/${a.orgId}/projects`).set(auth).expect(200);
      const res = await t.http.post(`/organizations/${a.orgId}/api-keys`).set(auth).send({ name: 'k' }).expect(403);
      expect(res.body.detail).toMatch(/Admin or Owner/);
      await t.http.delete(`/organizations/${a.orgId}/api-keys/${a.apiKeyId}`).set(auth).expect(403);
      // an admin of another organization cannot revoke this organization's key
      const sub = `owner-${randomUUID()}`;
      const other = { Authorization: `Bearer ${signToken(t, sub)}` };
      const org = await t.http.post('/organizations').set(other).send({ name: 'Other' }).expect(201);
      await t.http.delete(`/organizations/${org.body.id}/api-keys/${a.apiKeyId}`).set(other).expect(404);
      await current(a.headers).expect(200);
    });

    it('validates bodies and ids with 422', async () => {
      const auth = { Authorization: `Bearer ${signToken(t, `v-${randomUUID()}`)}` };
      const res = await t.http.post('/organizations').set(auth).send({ name: '' }).expect(422);
      expect(res.body.detail).toBe('Validation error');
      expect(res.body.errors[0].field).toBe('name');
      await t.http.post('/organizations').set(auth).send({ name: 'x', extra: 1 }).expect(422);
      await t.http.get('/organizations/not-a-uuid/projects').set(auth).expect(422);
    });
  });

  describe('malformed requests', () => {
    it('422 for malformed JSON, in the documented body', async () => {
      const auth = { Authorization: `Bearer ${signToken(t, `m-${randomUUID()}`)}` };
      const res = await t.http
        .post('/organizations')
        .set({ ...auth, 'Content-Type': 'application/json' })
        .send('{"name": ')
        .expect(422);
      expect(res.body).toEqual({
        detail: 'Validation error',
        errors: [{ field: 'body', message: 'Malformed JSON in request body.' }],
      });
    });

    it('422 for wrong types', async () => {
      const auth = { Authorization: `Bearer ${signToken(t, `w-${randomUUID()}`)}` };
      const res = await t.http.post('/organizations').set(auth).send({ name: 42 }).expect(422);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name' })]));
    });
  });
});
