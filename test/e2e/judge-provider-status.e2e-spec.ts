import { abandonStaleRuns, evalRunTestEnv, waitForRun } from '../factories/eval-run.factory';
import { ingestTrace } from '../factories/trace.factory';
import { startAnthropicServer, startJudgeServer, type JudgeServer } from '../support/judge-server';
import { createTenant, type Tenant } from '../support/tenancy';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * GET /evaluations/providers tells the truth: configured or not, unreachable after a call that got
 * no HTTP answer (and configured again after one that did), and settings the AI SDK dropped.
 */
const ADMIN_TOKEN = 'provider-status-admin-token-for-tests';

describe('GET /evaluations/providers after real calls', () => {
  let openai: JudgeServer;
  let anthropic: JudgeServer;
  let openaiPort: number;
  let t: TestApp;
  let tenant: Tenant;

  beforeAll(async () => {
    await abandonStaleRuns();
    openai = await startJudgeServer();
    openaiPort = openai.port;
    await openai.close(); // nothing listens there until the test starts it again
    anthropic = await startAnthropicServer();
    t = await createTestApp(
      evalRunTestEnv(`http://127.0.0.1:${openaiPort}/v1`, 'ps', {
        RUN_WORKER_IN_PROCESS: 'true',
        JUDGE_MAX_RETRIES: '1',
        ANTHROPIC_BASE_URL: anthropic.baseUrl,
        ANTHROPIC_API_KEY: 'ant-test',
        SCRIPTED_JUDGE_URL: `http://127.0.0.1:${openaiPort}/v1`,
        ADMIN_TOKEN,
      }),
    );
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await anthropic?.close();
    await openai?.close();
  });

  /** The operator's full view; `as` a tenant, what that project is shown. */
  const providers = async (as?: Tenant) =>
    Object.fromEntries(
      (
        (as
          ? await t.http.get('/evaluations/providers').set(as.headers).expect(200)
          : await t.http.get('/admin/judge-providers').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200)
        ).body as any[]
      ).map((p) => [p.key, p]),
    );
  const createRun = async (model: string) => {
    const trace = await ingestTrace(t, tenant);
    return t.http
      .post('/evaluations/trace-runs/batch')
      .set(tenant.headers)
      .send({ trace_ids: [trace.trace_id], metrics: ['confidence'], model });
  };
  const confidenceRun = async (model: string) => {
    const res = await createRun(model);
    expect(res.status).toBe(202);
    return waitForRun(t, tenant, res.body.id);
  };

  it('reports configuration before any call', async () => {
    const p = await providers();
    expect([p.openai.state, p.anthropic.state, p.google_genai.state]).toEqual(['configured', 'configured', 'not_configured']);
    expect(p.openai.base_url).toBe(`http://127.0.0.1:${openaiPort}/v1`);
    expect(p.google_genai.message).toBe(
      "Provider 'Google Gemini' is not configured. Missing environment variable(s): GEMINI_API_KEY",
    );
  });

  it('says a base URL is unreachable after a call got no answer, and reachable again after one did', async () => {
    const failed = await confidenceRun('openai/judge-test');
    expect(failed.failed_count).toBe(1);
    let p = await providers();
    expect(p.openai.state).toBe('unreachable');
    expect(p.openai.available).toBe(true);
    // A tenant learns that the provider failed, but neither the deployment's address nor the error text.
    const seen = await providers(tenant);
    expect(seen.openai.state).toBe('unreachable');
    expect(seen.openai.base_url).toBeNull();
    expect(seen.openai.last_error.message).toBe('no HTTP answer from the provider');
    expect(JSON.stringify(seen)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|Cannot connect/);
    expect(p.openai.last_error.message).toMatch(/Cannot connect|ECONNREFUSED|fetch failed/);
    expect(p.openai.message).toMatch(
      new RegExp(`^Provider 'OpenAI' is configured, but http://127\\.0\\.0\\.1:${openaiPort}/v1 could not be reached`),
    );
    expect(p.anthropic.state).toBe('configured');

    // Known unreachable, and still not answering: a new run is refused rather than left to fail every score.
    const refused = await createRun('openai/judge-test');
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(
      new RegExp(
        `^Judge provider 'openai' is unreachable at http://127\\.0\\.0\\.1:${openaiPort}/v1 \\(last call .*\\); a run now would fail every score\\. Start the server at OPENAI_BASE_URL`,
      ),
    );
    expect((await t.http.get('/evaluations/trace-runs?limit=100').set(tenant.headers).expect(200)).body.total).toBe(1);

    openai = await startJudgeServer({ port: openaiPort });
    const ok = await confidenceRun('openai/judge-test');
    expect(ok.succeeded_count).toBe(1);
    p = await providers();
    expect(p.openai.state).toBe('configured');
    expect(p.openai.last_error).toBeNull();
  });

  it('refuses a run on the scripted judge while it is known down, naming the command that starts it', async () => {
    await openai.close();
    const failed = await confidenceRun('scripted/canned-judge');
    expect(failed.failed_count).toBe(1);
    const refused = await createRun('scripted/canned-judge');
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain("Judge provider 'scripted' is unreachable at http://127.0.0.1:");
    expect(refused.body.detail).toContain('Start it with `npm run judge:scripted`');
    openai = await startJudgeServer({ port: openaiPort });
    expect((await createRun('scripted/canned-judge')).status).toBe(202); // back: the address answers again
  });

  it('lists a setting the SDK dropped for a model (temperature for a Claude id it does not know), once', async () => {
    await confidenceRun('anthropic/claude-judge-test');
    await confidenceRun('anthropic/claude-judge-test');
    // The SDK really did not send it, although EVAL_LLM_TEMPERATURE is 0.
    expect(anthropic.requests.length).toBeGreaterThanOrEqual(2);
    for (const r of anthropic.requests) expect(r.body.temperature).toBeUndefined();
    const p = await providers();
    const temperature = p.anthropic.dropped_settings.filter((d: any) => d.setting === 'temperature');
    expect(temperature).toEqual([
      {
        model: 'anthropic/claude-judge-test',
        setting: 'temperature',
        details: 'temperature is not supported by claude-judge-test and will be ignored',
      },
    ]);
    expect(p.anthropic.message).toContain('Settings not applied as configured: ');
    expect(p.anthropic.message).toContain('temperature for anthropic/claude-judge-test');
    expect(p.openai.dropped_settings).toEqual([]);
    // The tenant that used the model sees its dropped setting; another tenant sees no model it never used.
    expect((await providers(tenant)).anthropic.dropped_settings).toEqual(p.anthropic.dropped_settings);
    const other = await providers(await createTenant(t));
    expect(other.anthropic.dropped_settings).toEqual([]);
    expect(other.anthropic.message).not.toContain('claude-judge-test');
  });

  it('the operator view needs the admin token', async () => {
    await t.http.get('/admin/judge-providers').expect(401);
    await t.http.get('/admin/judge-providers').set(tenant.headers).expect(401);
  });
});
