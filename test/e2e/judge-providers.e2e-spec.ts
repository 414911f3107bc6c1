import { JudgeService } from '../../src/modules/judge/judge.service';
import { OrgQuotaService } from '../../src/modules/quotas/org-quotas.service';
import { MetricRegistry } from '../../src/modules/metrics/metric-registry';
import { abandonStaleRuns, evalRunTestEnv, waitForRun, type RunBody } from '../factories/eval-run.factory';
import { ingestTrace } from '../factories/trace.factory';
import {
  startAnthropicServer,
  startGeminiServer,
  startJudgeServer,
  type FaultSpec,
  type JudgeServer,
  type LoggedRequest,
} from '../support/judge-server';
import { createTenant, type Tenant } from '../support/tenancy';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * Every judge provider the README offers, driven over HTTP through the real AI SDK provider
 * packages against a scripted server that speaks that provider's protocol: a whole run, usage as
 * the provider reported it, 429 storms with the provider's own wait signal, invalid output.
 */

const RUNS = '/evaluations/trace-runs';
const ALL = new MetricRegistry().listed().map((m) => m.name);
/** The scripted servers' default answers, per metric (coherence from the vectors set below). */
const EXPECTED: Record<string, number> = {
  argument_correctness: 1,
  coherence: 0.6,
  confidence: 0.85,
  plan_adherence: 0.75,
  plan_quality: 0.75,
  step_efficiency: 0.75,
  task_completion: 0.8,
  tool_correctness: 0.9,
};

interface ProviderCase {
  name: string;
  start: () => Promise<JudgeServer>;
  /** The chat path every generation must use. */
  chatPath: string | RegExp;
  /** True when EVAL_EMBEDDING_MODEL is served by the same server (else a separate OpenAI one). */
  ownEmbeddings: boolean;
  env: (llm: JudgeServer, embeddings: JudgeServer) => Record<string, string>;
  /** A 429 (or overload) that asks for a 1 s wait in this provider's own way. */
  storms: FaultSpec[];
  /** What every request must carry (auth header, protocol settings). */
  checkRequest: (r: LoggedRequest) => void;
  /** Embedding scores whose usage the provider does not report. */
  unreportedEmbeddings: boolean;
}

/** Anthropic for generations; embeddings from a separate OpenAI server (Anthropic has none). */
const anthropicEnv =
  (model: string) =>
  (llm: JudgeServer, emb: JudgeServer): Record<string, string> => ({
    ANTHROPIC_BASE_URL: llm.baseUrl,
    ANTHROPIC_API_KEY: 'ant-test',
    EVAL_LLM_MODEL: model,
    OPENAI_BASE_URL: emb.baseUrl,
  });

const CASES: ProviderCase[] = [
  {
    name: 'OpenAI chat completions',
    start: startJudgeServer,
    chatPath: '/v1/chat/completions',
    ownEmbeddings: true,
    env: (llm) => ({ OPENAI_BASE_URL: llm.baseUrl, EVAL_LLM_MODEL: 'openai/gpt-4o-mini' }),
    storms: [
      { status: 429, retryAfter: '1' },
      { status: 429, retryAfterMs: 1000 },
    ],
    checkRequest: (r) => {
      expect(r.headers.authorization).toBe('Bearer sk-test');
      if (r.endpoint === 'chat') {
        expect(r.body.temperature).toBe(0);
        expect(r.body.response_format.type).toBe('json_schema');
      }
    },
    unreportedEmbeddings: false,
  },
  {
    name: "OpenAI's Responses API",
    start: startJudgeServer,
    chatPath: '/v1/responses',
    ownEmbeddings: true,
    env: (llm) => ({
      OPENAI_BASE_URL: llm.baseUrl,
      EVAL_LLM_MODEL: 'openai/gpt-4o-mini',
      OPENAI_API_MODE: 'responses',
    }),
    storms: [{ status: 429, retryAfter: '1' }],
    checkRequest: (r) => {
      expect(r.headers.authorization).toBe('Bearer sk-test');
      if (r.endpoint === 'chat') {
        expect(r.body.temperature).toBe(0);
        expect(r.body.text.format).toMatchObject({ type: 'json_schema', strict: true });
      }
    },
    unreportedEmbeddings: false,
  },
  {
    name: 'Anthropic Messages (native structured output)',
    start: startAnthropicServer,
    chatPath: '/v1/messages',
    ownEmbeddings: false,
    env: anthropicEnv('anthropic/claude-haiku-4-5'),
    storms: [
      { status: 429, retryAfter: '1' },
      { status: 529, retryAfter: '1' },
    ],
    checkRequest: (r) => {
      expect(r.headers['x-api-key']).toBe('ant-test');
      expect(r.headers['anthropic-version']).toBe('2023-06-01');
      expect(r.body.temperature).toBe(0);
      expect(r.body.output_config.format.type).toBe('json_schema');
      expect(r.body.tools).toBeUndefined();
    },
    unreportedEmbeddings: false,
  },
  {
    name: 'Anthropic Messages (JSON tool, claude-3-5-haiku-latest)',
    start: startAnthropicServer,
    chatPath: '/v1/messages',
    ownEmbeddings: false,
    env: anthropicEnv('anthropic/claude-3-5-haiku-latest'),
    storms: [{ status: 529, retryAfter: '1' }],
    checkRequest: (r) => {
      expect(r.headers['x-api-key']).toBe('ant-test');
      expect(r.body.temperature).toBe(0);
      expect(r.body.tools).toEqual([expect.objectContaining({ name: 'json' })]);
      expect(r.body.tool_choice).toMatchObject({ type: 'any' });
    },
    unreportedEmbeddings: false,
  },
  {
    name: 'Gemini generateContent + batchEmbedContents',
    start: startGeminiServer,
    chatPath: /^\/v1beta\/models\/gemini-2\.0-flash:generateContent$/,
    ownEmbeddings: true,
    env: (llm) => ({
      GEMINI_BASE_URL: llm.baseUrl,
      GEMINI_API_KEY: 'gem-test',
      EVAL_LLM_MODEL: 'gemini/gemini-2.0-flash',
      EVAL_EMBEDDING_MODEL: 'gemini/text-embedding-004',
    }),
    storms: [
      { status: 429, retryDelay: '1s' },
      { status: 503, retryDelay: '1s' },
    ],
    checkRequest: (r) => {
      expect(r.headers['x-goog-api-key']).toBe('gem-test');
      if (r.endpoint === 'chat') {
        expect(r.body.generationConfig).toMatchObject({ temperature: 0, responseMimeType: 'application/json' });
        expect(r.body.generationConfig.responseJsonSchema.type).toBe('object');
      } else {
        expect(r.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
      }
    },
    unreportedEmbeddings: true,
  },
  {
    // The AI SDK's Vertex provider in express mode (GOOGLE_VERTEX_API_KEY) speaks generateContent;
    // embeddings come from a separate OpenAI server (Vertex's :predict is not scripted here).
    name: "Vertex AI generateContent (the dashboard's vertex_ai/<model>)",
    start: startGeminiServer,
    chatPath: /^\/v1beta\/models\/gemini-2\.0-flash:generateContent$/,
    ownEmbeddings: false,
    env: (llm, emb) => ({
      GOOGLE_VERTEX_BASE_URL: llm.baseUrl,
      GOOGLE_VERTEX_API_KEY: 'gem-test',
      EVAL_LLM_MODEL: 'vertex_ai/gemini-2.0-flash',
      OPENAI_BASE_URL: emb.baseUrl,
    }),
    storms: [{ status: 429, retryDelay: '1s' }],
    checkRequest: (r) => {
      if (r.endpoint !== 'chat') return;
      expect(r.headers['x-goog-api-key']).toBe('gem-test');
      expect(r.body.generationConfig).toMatchObject({ temperature: 0, responseMimeType: 'application/json' });
    },
    unreportedEmbeddings: false,
  },
];

const INPUT = 'What will the weather be in Paris tomorrow?';
const OUTPUT = 'Sunny, 21 degrees.';

describe.each(CASES)('judge provider over the wire: $name', (c) => {
  let llm: JudgeServer;
  let emb: JudgeServer;
  let t: TestApp;
  let tenant: Tenant;
  const servers = () => (c.ownEmbeddings ? [llm] : [llm, emb]);
  const all = () => servers().flatMap((s) => s.requests);

  beforeAll(async () => {
    await abandonStaleRuns();
    llm = await c.start();
    emb = c.ownEmbeddings ? llm : await startJudgeServer();
    t = await createTestApp(
      evalRunTestEnv(llm.baseUrl, 'jp', {
        RUN_WORKER_IN_PROCESS: 'true',
        JUDGE_MAX_RETRIES: '2',
        JUDGE_RETRY_MAX_MS: '5000',
        OPENAI_BASE_URL: '',
        JUDGE_ANTHROPIC_MAX_IN_FLIGHT: '3',
        JUDGE_GEMINI_MAX_IN_FLIGHT: '3',
        JUDGE_VERTEX_MAX_IN_FLIGHT: '3',
        JUDGE_OPENAI_MAX_IN_FLIGHT: '3',
        ...c.env(llm, emb),
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
    if (emb !== llm) await emb?.close();
  });
  beforeEach(async () => {
    // A project per test: embeddings are cached per project, so each test sees its own calls.
    tenant = await createTenant(t);
    for (const s of servers()) {
      s.reset();
      s.setEmbedding(INPUT, [1, 0]);
      s.setEmbedding(OUTPUT, [0.6, 0.8]);
    }
  });

  const newTrace = () => ingestTrace(t, tenant, { input: INPUT, output: OUTPUT });
  const run = async (metrics: string[], traceIds: string[]): Promise<RunBody> => {
    const res = await t.http
      .post(`${RUNS}/batch`)
      .set(tenant.headers)
      .send({ trace_ids: traceIds, metrics })
      .expect(202);
    return waitForRun(t, tenant, res.body.id);
  };
  const scoresOf = async (runId: string) =>
    (await t.http.get(`${RUNS}/${runId}/scores`).set(tenant.headers).expect(200)).body as any[];

  it('runs every metric to COMPLETED with the right scores, over this protocol only', async () => {
    llm.setLatency(20); // calls overlap, so the per-provider in-flight cap is exercised
    const traces = [await newTrace(), await newTrace()];
    const done = await run(
      ALL,
      traces.map((x) => x.trace_id),
    );
    expect(done).toMatchObject({ status: 'COMPLETED', evaluated_count: 2, succeeded_count: 16, failed_count: 0 });
    const scores = await scoresOf(done.id);
    expect(scores).toHaveLength(16);
    for (const s of scores) {
      expect(s.status).toBe('SUCCESS');
      expect(Number(s.value)).toBe(EXPECTED[s.name]);
    }
    const chat = llm.requests.filter((r) => r.endpoint === 'chat');
    expect(chat.length).toBe(2 * 13);
    for (const r of chat) expect(r.path).toMatch(c.chatPath);
    for (const r of llm.requests) c.checkRequest(r);
    // One coherence score per trace, over the same two texts: the second is served from the
    // project's embedding cache when the first has finished by then, so one or two requests.
    const embeddings = emb.requests.filter((r) => r.endpoint === 'embeddings');
    expect(embeddings.length).toBeGreaterThanOrEqual(1);
    expect(embeddings.length).toBeLessThanOrEqual(2);
    for (const r of embeddings) expect(JSON.parse(r.prompt)).toEqual([INPUT, OUTPUT]);
    // No call went through without a slot (the limiter lets calls through only when Redis fails it).
    expect(t.app.get(JudgeService).sharedLimiter.bypassed).toBe(0);
    expect(llm.maxConcurrent).toBeLessThanOrEqual(3); // JUDGE_<PROVIDER>_MAX_IN_FLIGHT
  });

  it('records usage per score and per run exactly as the provider reported it', async () => {
    const traces = [await newTrace(), await newTrace()];
    const done = await run(
      ALL,
      traces.map((x) => x.trace_id),
    );
    const scores = await scoresOf(done.id);
    const reported = servers().map((s) => s.reportedTotals());
    const input = reported.reduce((n, r) => n + r.input, 0);
    const output = reported.reduce((n, r) => n + r.output, 0);
    const known = scores.filter((s) => s.metadata.judge_usage.input_tokens !== null);
    const sum = (k: string) => known.reduce((n, s) => n + s.metadata.judge_usage[k], 0);
    expect(sum('input_tokens')).toBe(input);
    expect(sum('output_tokens')).toBe(output);
    // Both traces embed the same two texts: a coherence score whose texts another score of the run had
    // embedded already (the project's embedding cache) makes no call, and its usage says so. Which
    // score makes the call depends on how the worker claims and schedules them.
    const coherence = scores.filter((s) => s.name === 'coherence');
    const embedded = coherence.filter((s) => s.metadata.judge_usage.calls > 0);
    const embeddingCalls = all().filter((r) => r.endpoint !== 'chat').length;
    expect(embeddingCalls).toBeGreaterThan(0);
    expect(coherence.reduce((n, s) => n + s.metadata.judge_usage.calls, 0)).toBe(embeddingCalls);
    for (const s of coherence) {
      expect([0, 1]).toContain(s.metadata.judge_usage.calls);
      const unknown = c.unreportedEmbeddings && s.metadata.judge_usage.calls > 0;
      expect(s.metadata.judge_usage.input_tokens).toEqual(unknown ? null : expect.any(Number));
    }
    expect(done.judge_usage).toMatchObject({
      calls: all().length,
      input_tokens: input,
      output_tokens: output,
      unknown_token_scores: c.unreportedEmbeddings ? embedded.length : 0,
    });
    for (const s of scores) expect(Number.isFinite(s.metadata.judge_usage.output_tokens)).toBe(true);
  });

  it.each(c.storms)(
    'rides out a storm of $status answers, each retry waiting at least what was asked (1 s)',
    async (storm) => {
      const trace = await newTrace();
      llm.fault({ ...storm, endpoint: 'chat', count: 3 });
      const done = await run(['confidence', 'task_completion'], [trace.trace_id]);
      expect(done).toMatchObject({ status: 'COMPLETED', succeeded_count: 2, failed_count: 0 });
      const faulted = llm.requests.filter((r) => r.status === storm.status);
      expect(faulted).toHaveLength(3);
      for (const f of faulted) {
        // The retry of a call sends the same body again.
        const retry = llm.requests.find((r) => r.receivedAt >= f.finishedAt! && r !== f && sameBody(r, f));
        expect(retry).toBeDefined();
        expect(retry!.receivedAt - f.finishedAt!).toBeGreaterThanOrEqual(1000);
      }
      const scores = await scoresOf(done.id);
      expect(scores.reduce((n, s) => n + s.metadata.judge_usage.calls, 0)).toBe(llm.requests.length);
    },
  );

  it('retries invalid structured output, then records a FAILED score with the reason and the tokens spent', async () => {
    const trace = await newTrace();
    llm.fault({ invalidJson: 'I would rather not grade this.', stage: 'confidence.evaluate', count: Infinity });
    const done = await run(['confidence'], [trace.trace_id]);
    expect(done).toMatchObject({ status: 'COMPLETED', failed_count: 1, succeeded_count: 0 });
    const [score] = await scoresOf(done.id);
    expect(score.status).toBe('FAILED');
    expect(score.reason).toBe(
      'Metric execution failed: Judge call failed after 3 attempts: invalid output: answer is not JSON',
    );
    const attempts = llm.stageRequests('confidence.evaluate');
    expect(attempts).toHaveLength(3);
    expect(score.metadata.judge_usage).toMatchObject({
      calls: 3,
      input_tokens: attempts.reduce((n, r) => n + r.reported!.input, 0),
      output_tokens: attempts.reduce((n, r) => n + r.reported!.output, 0),
    });
  });
});

function sameBody(a: LoggedRequest, b: LoggedRequest): boolean {
  return JSON.stringify(a.body) === JSON.stringify(b.body);
}

describe('a run whose metrics need embeddings the configured provider cannot give', () => {
  let llm: JudgeServer;
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    llm = await startAnthropicServer();
    t = await createTestApp(
      evalRunTestEnv(llm.baseUrl, 'jq', {
        OPENAI_BASE_URL: '',
        ANTHROPIC_BASE_URL: llm.baseUrl,
        ANTHROPIC_API_KEY: 'ant-test',
        EVAL_LLM_MODEL: 'anthropic/claude-haiku-4-5',
        EVAL_EMBEDDING_MODEL: 'anthropic/claude-haiku-4-5',
        RUN_WORKER_IN_PROCESS: 'true',
      }),
    );
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  it('is refused with 422 at creation, naming the metric and the fix; other metrics run', async () => {
    const trace = await ingestTrace(t, tenant);
    const res = await t.http
      .post(`${RUNS}/batch`)
      .set(tenant.headers)
      .send({ trace_ids: [trace.trace_id], metrics: ['confidence', 'coherence'] })
      .expect(422);
    expect(res.body.detail).toBe(
      "coherence needs embeddings, and EVAL_EMBEDDING_MODEL 'anthropic/claude-haiku-4-5' names Anthropic, which offers none: set it to an openai/ or gemini/ embedding model.",
    );
    const ok = await t.http
      .post(`${RUNS}/batch`)
      .set(tenant.headers)
      .send({ trace_ids: [trace.trace_id], metrics: ['confidence'] })
      .expect(202);
    expect(await waitForRun(t, tenant, ok.body.id)).toMatchObject({ status: 'COMPLETED', succeeded_count: 1 });
  });
});

describe('loop_detection, a session signal only (docs/sessions.md), is not offered to trace runs', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t);
  });
  afterAll(() => t?.close());

  it('is absent from the catalogue, refused in a run and has no template', async () => {
    const listed = (await t.http.get('/evaluations/trace-metrics').set(tenant.headers).expect(200)).body as {
      name: string;
    }[];
    expect(listed.map((m) => m.name)).toEqual(ALL);
    expect(listed.map((m) => m.name)).not.toContain('loop_detection');
    const trace = await ingestTrace(t, tenant);
    const unknown = await t.http
      .post(`${RUNS}/batch`)
      .set(tenant.headers)
      .send({ trace_ids: [trace.trace_id], metrics: ['loop_detection'] })
      .expect(422);
    expect(unknown.body.detail).toMatch(/^Unknown metrics: loop_detection\. The trace metrics are: /);
    await t.http.get(`${RUNS}/template`).query({ metric: 'loop_detection' }).set(tenant.headers).expect(422);
  });
});

describe('the embedding cache across tenants', () => {
  let judge: JudgeServer;
  let t: TestApp;
  beforeAll(async () => {
    await abandonStaleRuns();
    judge = await startJudgeServer();
    t = await createTestApp(
      evalRunTestEnv(judge.baseUrl, 'jc', { RUN_WORKER_IN_PROCESS: 'true', QUOTA_JUDGE_CALLS_PER_DAY: '1000' }),
    );
  });
  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  const secret = { input: 'Acme merger codename BLUEBIRD: draft the memo', output: 'Memo drafted.' };
  const coherenceRun = async (tenant: Tenant) => {
    const trace = await ingestTrace(t, tenant, secret);
    const res = await t.http
      .post(`${RUNS}/batch`)
      .set(tenant.headers)
      .send({ trace_ids: [trace.trace_id], metrics: ['coherence'] })
      .expect(202);
    return waitForRun(t, tenant, res.body.id);
  };

  it('never lets project B learn that project A embedded the same text (B pays its own call)', async () => {
    const [a, b] = [await createTenant(t), await createTenant(t)];
    const embedded = () => judge.requests.filter((r) => r.endpoint === 'embeddings').map((r) => r.body.input);

    expect((await coherenceRun(a)).judge_usage.calls).toBe(1);
    expect((await coherenceRun(b)).judge_usage.calls).toBe(1);
    expect(embedded()).toEqual([
      [secret.input, secret.output],
      [secret.input, secret.output],
    ]);
    // Within one project the cache still saves the call.
    expect((await coherenceRun(a)).judge_usage.calls).toBe(0);
    expect(embedded()).toHaveLength(2);
  });

  it("takes none of the organization's judge calls of the day for an embedding served from the cache", async () => {
    const tenant = await createTenant(t);
    const quotas = t.app.get(OrgQuotaService);
    const callsOfTheDay = async () =>
      (await quotas.report(tenant.orgId)).find((q) => q.name === 'judgeCallsPerDay')!.used;
    // A run's worker takes calls of the day in blocks and gives the unused ones back once the run
    // has ended: wait for that before reading the day.
    const settled = async (expected: number) => {
      for (let i = 0; i < 50 && (await callsOfTheDay()) !== expected; i++) await new Promise((r) => setTimeout(r, 100));
      return callsOfTheDay();
    };
    expect((await coherenceRun(tenant)).judge_usage.calls).toBe(1);
    expect(await settled(1)).toBe(1);
    expect((await coherenceRun(tenant)).judge_usage.calls).toBe(0);
    expect(await settled(1)).toBe(1);
  });
});
