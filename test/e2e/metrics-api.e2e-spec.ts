import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * The two catalogue routes over HTTP, as a tenant sees them (the providers view filters what it
 * shows by project: judge-provider-status.e2e-spec.ts tests that part).
 */
describe('catalogue routes: trace metrics and providers', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    tenant = await createTenant(t);
  });
  afterAll(() => t.close());

  it('GET /evaluations/trace-metrics → a bare array of the eight metrics', async () => {
    const res = await t.http.get('/evaluations/trace-metrics').set(tenant.headers).expect(200);
    expect(res.body.map((m: { name: string }) => m.name)).toEqual([
      'argument_correctness',
      'coherence',
      'confidence',
      'plan_adherence',
      'plan_quality',
      'step_efficiency',
      'task_completion',
      'tool_correctness',
    ]);
    expect(Object.keys(res.body[0]).sort()).toEqual(['category', 'description', 'name']);
  });

  it("GET /evaluations/providers → availability under the dashboard's keys (openai, anthropic, google_genai, vertex_ai) and the scripted judge", async () => {
    const res = await t.http.get('/evaluations/providers').set(tenant.headers).expect(200);
    expect(res.body.map((p: { key: string; available: boolean }) => [p.key, p.available])).toEqual([
      ['openai', true],
      ['anthropic', false],
      ['google_genai', false],
      ['vertex_ai', false],
      ['scripted', false],
    ]);
    expect(Object.keys(res.body[0]).sort()).toEqual([
      'available',
      'base_url',
      'description',
      'dropped_settings',
      'key',
      'last_error',
      'message',
      'name',
      'state',
    ]);
    expect(res.body.map((p: { state: string }) => p.state)).toEqual([
      'configured',
      'not_configured',
      'not_configured',
      'not_configured',
      'not_configured',
    ]);
  });
});
