import { abandonStaleRuns, evalRunTestEnv, waitForRun } from '../factories/eval-run.factory';
import { ingestTrace } from '../factories/trace.factory';
import { startAnthropicServer, startJudgeServer, type JudgeServer } from '../support/judge-server';
import { createTenant, type Tenant } from '../support/tenancy';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * GET /evaluations/providers tells the truth: configured or not, unreachable after a call that got
 * no HTTP answer (and configured again after one that did), and settings the AI SDK dropped.
 */
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
      }),
    );
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await anthropic?.close();
    await openai?.close();
  });

  const providers = async () =>
    Object.fromEntries(
      ((await t.http.get('/evaluations/providers').set(tenant.headers).expect(200)).body as any[]).map((p) => [
        p.key,
        p,
      ]),
    );
  const confidenceRun = async (model: string) => {
    const trace = await ingestTrace(t, tenant);
    const res = await t.http
      .post('/evaluations/trace-runs/batch')
      .set(tenant.headers)
      .send({ trace_ids: [trace.trace_id], metrics: ['confidence'], model })
      .expect(202);
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
    expect(p.openai.last_error.message).toMatch(/Cannot connect|ECONNREFUSED|fetch failed/);
    expect(p.openai.message).toMatch(
      new RegExp(`^Provider 'OpenAI' is configured, but http://127\\.0\\.0\\.1:${openaiPort}/v1 could not be reached`),
    );
    expect(p.anthropic.state).toBe('configured');

    openai = await startJudgeServer({ port: openaiPort });
    const ok = await confidenceRun('openai/judge-test');
    expect(ok.succeeded_count).toBe(1);
    p = await providers();
    expect(p.openai.state).toBe('configured');
    expect(p.openai.last_error).toBeNull();
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
  });
});
