import { dashboardActions } from '../../scripts/dashboard/actions';
import { dashboardPages } from '../../scripts/dashboard/pages';
import { seed } from '../../scripts/dashboard/seed';
import { teamActions } from '../../scripts/dashboard/team-actions';
import { createTestApp, TestApp } from '../support/test-app';

const DASHBOARD = 'http://localhost:3000';

/**
 * The dashboard drive's server half (scripts/dashboard, docs/identity.md "The dashboard, driven"),
 * without a browser or the dashboard's code: in development mode without credentials, as the
 * public build calls it, the seed succeeds through the API and every page and action gets its ids;
 * and a browser on the dashboard's origin may call the API with the headers the dashboard sends.
 */
describe('dashboard drive: the public build against development mode', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      NODE_ENV: 'development',
      AUTH_ENABLED: 'false',
      CORS_ORIGINS: DASHBOARD,
      RATE_LIMIT_DEFAULT: '100000',
      RATE_LIMIT_INGEST: '0',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('seeds traces, a session, scores, runs, a monitor, a key and an invitation without credentials', async () => {
    const seeded = await seed(t.baseUrl);
    expect(Object.values(seeded).every((v) => typeof v === 'string' && v.length > 0)).toBe(true);
    const headers = { 'X-Organization-ID': seeded.orgId, 'X-Project-ID': seeded.projectId };
    const session = await t.http.get(`/sessions/${seeded.sessionId}`).set(headers).expect(200);
    expect(session.body.traces).toHaveLength(6);
    const monitor = await t.http.get(`/evaluations/monitors/${seeded.monitorId}`).set(headers).expect(200);
    expect(monitor.body.name).toBe('hourly quality');
    const team = teamActions(seeded, t.baseUrl, t.config.auth.jwtSecret!);
    for (const p of [...dashboardPages(seeded), ...dashboardActions(seeded, DASHBOARD), ...team])
      expect(p.path).not.toMatch(/undefined|null/);
    // Seeding again (a second drive) works on the same organization.
    expect((await seed(t.baseUrl)).orgId).toBe(seeded.orgId);
  });

  it('lets the dashboard origin call with its headers (preflight), and only that origin', async () => {
    const preflight = (origin: string) =>
      t.http.options('/organizations').set({
        Origin: origin,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'content-type,x-organization-id,x-project-id',
      });
    const allowed = await preflight(DASHBOARD);
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers['access-control-allow-origin']).toBe(DASHBOARD);
    expect(allowed.headers['access-control-allow-headers']).toMatch(/x-organization-id/i);
    const other = await preflight('http://localhost:4000');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
