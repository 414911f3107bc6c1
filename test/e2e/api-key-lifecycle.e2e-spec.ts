import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { ApiKeyAuthService } from '../../src/modules/auth/api-key-auth.service';
import { ApiKeyEntity } from '../../src/modules/auth/entities/api-key.entity';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/** Resolves when `instance` has applied the published change of `keyId`. */
async function changeApplied(instance: TestApp, keyId: string, ms = 5000): Promise<void> {
  const events = instance.app.get(ApiKeyAuthService).events;
  const timeout = AbortSignal.timeout(ms);
  for (;;) {
    const [id] = (await once(events, 'revoked', { signal: timeout })) as [string];
    if (id === keyId) return;
  }
}

const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now()) + 50));

describe('API keys: get, rotate, revoke and delete, on two API processes', () => {
  let one: TestApp;
  let two: TestApp;
  // A long cache TTL, so only the published change explains a refusal on the other process;
  // a 2 s rotation grace, so the old key's end is reached within the test.
  const env = {
    API_KEY_CACHE_TTL_MS: '60000',
    API_KEY_ROTATION_GRACE_SECONDS: '2',
    QUEUE_PREFIX: `kl${randomBytes(3).toString('hex')}`,
  };

  beforeAll(async () => {
    one = await createTestApp(env);
    two = await createTestApp(env);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
  });

  const current = (t: TestApp, tenant: Pick<Tenant, 'headers'>) => t.http.get('/projects/current').set(tenant.headers);
  const keyHeaders = (tenant: Tenant, rawKey: string) => ({
    'X-API-Key': rawKey,
    'X-Project-Name': tenant.projectName,
  });
  const bearer = (m: { headers: Record<string, string> }) => ({ Authorization: m.headers.Authorization });
  const keyUrl = (tenant: Tenant, keyId: string) => `/organizations/${tenant.orgId}/api-keys/${keyId}`;

  async function setup() {
    const tenant = await createTenant(one);
    const owner = await createMember(one, tenant, MembershipRole.OWNER);
    const admin = await createMember(one, tenant, MembershipRole.ADMIN);
    const member = await createMember(one, tenant, MembershipRole.MEMBER);
    return { tenant, owner, admin, member };
  }

  describe('GET /organizations/{org_id}/api-keys/{key_id}', () => {
    it('any member reads a key, never its secret; another organization cannot', async () => {
      const { tenant, member } = await setup();
      const res = await one.http.get(keyUrl(tenant, tenant.apiKeyId)).set(bearer(member)).expect(200);
      expect(res.body).toMatchObject({
        id: tenant.apiKeyId,
        org_id: tenant.orgId,
        key_prefix: tenant.apiKey.slice(0, 10),
        name: 'test key',
        is_active: true,
        expires_at: null,
        raw_key: null,
      });
      expect(JSON.stringify(res.body)).not.toContain(tenant.apiKey.slice(10));
      // A key of another organization is not found through this one; a non-member is refused.
      const other = await setup();
      const missing = await one.http.get(keyUrl(tenant, other.tenant.apiKeyId)).set(bearer(member)).expect(404);
      expect(missing.body.detail).toBe(`API key ${other.tenant.apiKeyId} not found.`);
      await one.http.get(keyUrl(tenant, tenant.apiKeyId)).set(bearer(other.owner)).expect(403);
      await one.http.get(`/organizations/${tenant.orgId}/api-keys/not-a-uuid`).set(bearer(member)).expect(422);
    });
  });

  describe('POST …/{key_id}/rotate', () => {
    it('makes a key with the same name and lifetime; the old key works until its end, then is refused on both processes', async () => {
      const { tenant, admin } = await setup();
      await current(one, tenant).expect(200);
      await current(two, tenant).expect(200); // cached on both, with no expiry
      const applied = changeApplied(two, tenant.apiKeyId);
      const before = Date.now();
      const res = await one.http
        .post(`${keyUrl(tenant, tenant.apiKeyId)}/rotate`)
        .set(bearer(admin))
        .expect(201);
      expect(res.body).toMatchObject({ name: 'test key', org_id: tenant.orgId, is_active: true, expires_at: null });
      expect(res.body.raw_key).toMatch(/^sk_pp_[0-9a-f]{64}$/);
      expect(res.body.id).not.toBe(tenant.apiKeyId);
      await applied;

      const old = await one.http.get(keyUrl(tenant, tenant.apiKeyId)).set(bearer(admin)).expect(200);
      const end = Date.parse(old.body.expires_at);
      expect(end).toBeGreaterThanOrEqual(before + 2000 - 50);
      expect(end).toBeLessThanOrEqual(Date.now() + 2000);
      // Within the grace both keys work, on both processes.
      const fresh = keyHeaders(tenant, res.body.raw_key);
      for (const t of [one, two]) {
        await current(t, tenant).expect(200);
        await current(t, { headers: fresh }).expect(200);
      }
      await sleepUntil(end);
      for (const t of [one, two]) {
        const refused = await current(t, tenant).expect(401);
        expect(refused.body.detail).toBe('API key has expired. Please generate a new one.');
        await current(t, { headers: fresh }).expect(200);
      }
    });

    it('keeps a 90-day policy: the replacement gets 90 days from now, a rotated key cannot be rotated again', async () => {
      const { tenant, owner } = await setup();
      const created = await one.http
        .post(`/organizations/${tenant.orgId}/api-keys`)
        .set(bearer(owner))
        .send({ name: 'ci', expiration: '90d' })
        .expect(201);
      const rotated = await one.http
        .post(`${keyUrl(tenant, created.body.id)}/rotate`)
        .set(bearer(owner))
        .expect(201);
      const ninety = Date.now() + 90 * 86_400_000;
      expect(Math.abs(Date.parse(rotated.body.expires_at) - ninety)).toBeLessThan(60_000);
      expect(rotated.body.name).toBe('ci');
      const again = await one.http
        .post(`${keyUrl(tenant, created.body.id)}/rotate`)
        .set(bearer(owner))
        .expect(409);
      expect(again.body.detail).toContain(rotated.body.id);
      // Its replacement can be rotated in turn.
      await one.http
        .post(`${keyUrl(tenant, rotated.body.id)}/rotate`)
        .set(bearer(owner))
        .expect(201);
    });

    it('concurrent rotations of one key make exactly one replacement', async () => {
      const { tenant, owner } = await setup();
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? two : one).http.post(`${keyUrl(tenant, tenant.apiKeyId)}/rotate`).set(bearer(owner)),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      const rows = await one.dataSource.getRepository(ApiKeyEntity).countBy({ orgId: tenant.orgId });
      expect(rows).toBe(2);
    });

    it('refuses members, revoked keys and other organizations', async () => {
      const { tenant, owner, member } = await setup();
      const denied = await one.http
        .post(`${keyUrl(tenant, tenant.apiKeyId)}/rotate`)
        .set(bearer(member))
        .expect(403);
      expect(denied.body.detail).toBe('Admin or Owner role required.');
      const other = await setup();
      await one.http
        .post(`${keyUrl(tenant, other.tenant.apiKeyId)}/rotate`)
        .set(bearer(owner))
        .expect(404);
      await one.http
        .post(`${keyUrl(other.tenant, other.tenant.apiKeyId)}/rotate`)
        .set(bearer(owner))
        .expect(403);
      await one.http.delete(keyUrl(tenant, tenant.apiKeyId)).set(bearer(owner)).expect(204);
      const revoked = await one.http
        .post(`${keyUrl(tenant, tenant.apiKeyId)}/rotate`)
        .set(bearer(owner))
        .expect(422);
      expect(revoked.body.detail).toBe('Cannot rotate a revoked API key.');
    });
  });

  describe('DELETE …/{key_id}', () => {
    it('?permanent=true removes the row; the key is refused on the other process as soon as the message lands', async () => {
      const { tenant, admin } = await setup();
      await current(one, tenant).expect(200);
      await current(two, tenant).expect(200);
      const applied = changeApplied(two, tenant.apiKeyId);
      await one.http
        .delete(`${keyUrl(tenant, tenant.apiKeyId)}?permanent=true`)
        .set(bearer(admin))
        .expect(204);
      await current(one, tenant).expect(401);
      await applied;
      const refused = await current(two, tenant).expect(401);
      expect(refused.body.detail).toBe('Invalid or revoked API key.');
      expect(await one.dataSource.getRepository(ApiKeyEntity).countBy({ id: tenant.apiKeyId })).toBe(0);
      const list = await one.http.get(`/organizations/${tenant.orgId}/api-keys`).set(bearer(admin)).expect(200);
      expect(list.body.map((k: { id: string }) => k.id)).not.toContain(tenant.apiKeyId);
      await one.http
        .delete(`${keyUrl(tenant, tenant.apiKeyId)}?permanent=true`)
        .set(bearer(admin))
        .expect(404);
    });

    it('by default (and with ?permanent=false, as the dashboard sends) revokes and keeps the row, idempotently', async () => {
      const { tenant, owner } = await setup();
      await current(two, tenant).expect(200);
      const applied = changeApplied(two, tenant.apiKeyId);
      await one.http
        .delete(`${keyUrl(tenant, tenant.apiKeyId)}?permanent=false`)
        .set(bearer(owner))
        .expect(204);
      await applied;
      await current(two, tenant).expect(401);
      await one.http.delete(keyUrl(tenant, tenant.apiKeyId)).set(bearer(owner)).expect(204);
      const row = await one.http.get(keyUrl(tenant, tenant.apiKeyId)).set(bearer(owner)).expect(200);
      expect(row.body.is_active).toBe(false);
    });

    it('accepts the boolean spellings of the original and refuses others; members cannot delete', async () => {
      const { tenant, owner, member } = await setup();
      const bad = await one.http
        .delete(`${keyUrl(tenant, tenant.apiKeyId)}?permanent=maybe`)
        .set(bearer(owner))
        .expect(422);
      expect(bad.body.errors[0].field).toBe('permanent');
      await one.http
        .delete(`${keyUrl(tenant, tenant.apiKeyId)}?permanent=no`)
        .set(bearer(member))
        .expect(403);
      await one.http
        .delete(`${keyUrl(tenant, tenant.apiKeyId)}?permanent=YES`)
        .set(bearer(owner))
        .expect(204);
      expect(await one.dataSource.getRepository(ApiKeyEntity).countBy({ id: tenant.apiKeyId })).toBe(0);
    });
  });
});
