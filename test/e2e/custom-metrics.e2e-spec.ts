import { randomUUID } from 'node:crypto';
import { evalRunTestEnv } from '../factories/eval-run.factory';
import { buildSpan, ingestTrace } from '../factories/trace.factory';
import { JudgeServer, LoggedRequest, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { OrgQuotaService } from '../../src/modules/quotas/org-quotas.service';
import { createTestApp, TestApp } from '../support/test-app';

const BASE = '/evaluations/custom-metrics';

const REFUND_DEFINITION = {
  output_type: 'BOOLEAN',
  prompt_template:
    'Did the agent refund only within the 30-day policy?\nRequest: {{input}}\nTools:\n{{spans kind=TOOL}}\nReply: {{output}}',
};

const REFUND_RUBRIC = {
  name: 'refund_policy',
  description: 'Refunds only within policy.',
  ...REFUND_DEFINITION,
};

describe('custom metrics: CRUD, versions, previews', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let traceId: string;

  beforeAll(async () => {
    judge = await startJudgeServer({
      answers: {
        // The scripted judge answers custom rubrics from what it is shown.
        'refund_policy.judge': (req: LoggedRequest) => ({
          verdict: !req.prompt.includes('"days_since_order":40'),
          reason: 'scripted from the prompt',
        }),
        'routing.judge': (req: LoggedRequest) => ({
          label: req.prompt.includes('refund') ? 'refund' : 'escalate',
          reason: 'scripted',
        }),
      },
    });
    t = await createTestApp(evalRunTestEnv(judge.baseUrl, 'cm', { RATE_LIMIT_EVAL_RUNS: '10000' }));
    a = await createTenant(t);
    b = await createTenant(t);
    const trace = await ingestTrace(t, a, {
      input: { messages: [{ role: 'user', content: 'Refund order 77 please' }] },
      output: { messages: [{ role: 'assistant', content: 'Refunded.' }] },
      spans: [
        buildSpan({
          name: 'lookup_order',
          kind: 'TOOL',
          model: null,
          input: { id: 77 },
          output: { days_since_order: 40 },
        }),
        buildSpan({ name: 'think', kind: 'LLM', output: 'the user wants a refund' }),
      ],
    });
    traceId = trace.trace_id;
  });
  afterAll(async () => {
    await t.close();
    await judge.close();
  });

  const post = (tenant: Tenant, path: string, body: object) =>
    t.http.post(`${BASE}${path}`).set(tenant.headers).send(body);
  const patch = (tenant: Tenant, name: string, body: object) =>
    t.http.patch(`${BASE}/${name}`).set(tenant.headers).send(body);
  const get = (tenant: Tenant, path = '') => t.http.get(`${BASE}${path}`).set(tenant.headers);
  const errorFields = (body: { errors: { field: string; message: string }[] }) => body.errors.map((e) => e.field);

  describe('create, read, change', () => {
    it('creates version 1 and reads it back, in the list too', async () => {
      const res = await post(a, '', REFUND_RUBRIC).expect(201);
      expect(res.body).toMatchObject({
        id: expect.any(String),
        name: 'refund_policy',
        version: 1,
        category: 'custom',
        output_type: 'BOOLEAN',
        labels: null,
        success_labels: null,
        threshold: null,
        model: null,
        examples: [],
        prompt_template: REFUND_RUBRIC.prompt_template,
      });
      expect((await get(a, '/refund_policy').expect(200)).body).toEqual(res.body);
      const list = await get(a).expect(200);
      expect(list.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
      expect(list.body.items[0]).toEqual(res.body);
    });

    it('keeps the version for a description change, makes a new one for a template change', async () => {
      const described = await patch(a, 'refund_policy', { description: 'Policy v2' }).expect(200);
      expect(described.body).toMatchObject({ version: 1, description: 'Policy v2' });
      const same = await patch(a, 'refund_policy', { prompt_template: REFUND_RUBRIC.prompt_template }).expect(200);
      expect(same.body.version).toBe(1);
      const changed = await patch(a, 'refund_policy', {
        prompt_template: 'Within policy (30 days)? {{spans name=lookup_order}} Answer: {{output}}',
      }).expect(200);
      expect(changed.body).toMatchObject({ version: 2, description: 'Policy v2' });
      const versions = await get(a, '/refund_policy/versions').expect(200);
      expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
      const v1 = await get(a, '/refund_policy/versions/1').expect(200);
      expect(v1.body.prompt_template).toBe(REFUND_RUBRIC.prompt_template);
      await get(a, '/refund_policy/versions/3').expect(404);
    });

    it('switches output type, dropping what belonged to the old one', async () => {
      await post(a, '', {
        name: 'routing',
        output_type: 'CATEGORICAL',
        labels: ['refund', 'escalate', 'decline'],
        success_labels: ['refund'],
        prompt_template: 'Where should this go? {{input}}',
        examples: [{ input: 'Wants money back', value: 'refund', reason: 'a refund request' }],
      }).expect(201);
      const bool = await patch(a, 'routing', { output_type: 'NUMERIC', examples: [] }).expect(200);
      expect(bool.body).toMatchObject({
        version: 2,
        output_type: 'NUMERIC',
        labels: null,
        success_labels: null,
        threshold: 0.5,
      });
      const back = await patch(a, 'routing', {
        output_type: 'CATEGORICAL',
        labels: ['refund', 'escalate'],
        success_labels: ['refund'],
      }).expect(200);
      expect(back.body).toMatchObject({ version: 3, labels: ['refund', 'escalate'], threshold: null });
    });

    it('deletes, then continues the version numbers when the name comes back', async () => {
      await post(a, '', { ...REFUND_RUBRIC, name: 'short_lived' }).expect(201);
      await patch(a, 'short_lived', { prompt_template: '{{output}}' }).expect(200);
      await t.http.delete(`${BASE}/short_lived`).set(a.headers).expect(204);
      await get(a, '/short_lived').expect(404);
      await t.http.delete(`${BASE}/short_lived`).set(a.headers).expect(404);
      const again = await post(a, '', { ...REFUND_RUBRIC, name: 'short_lived' }).expect(201);
      expect(again.body.version).toBe(3);
    });

    it('lets one of two concurrent creations of a name win; the other is a 409', async () => {
      const name = `race_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
      const results = await Promise.all(Array.from({ length: 6 }, () => post(a, '', { ...REFUND_RUBRIC, name })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      expect((await get(a, `/${name}/versions`)).body.total).toBe(1);
    });
  });

  describe('refused with a 422 that names the problem', () => {
    it.each([
      [{ prompt_template: 'Judge {{answer}}' }, 'prompt_template', /unknown variable "answer"/],
      [{ prompt_template: 'Judge {{input' }, 'prompt_template', /not closed/],
      [{ prompt_template: 'Judge the tone.' }, 'prompt_template', /nothing of the trace/],
      [{ prompt_template: `{{input}}${'x'.repeat(20_001)}` }, 'prompt_template', /20000/],
      [{ prompt_template: '{{spans kind=ROBOT}}' }, 'prompt_template', /unknown span kind/],
      [{ name: 'task_completion' }, 'name', /built-in metric/],
      [{ name: 'agent_reliability' }, 'name', /built-in metric/],
      [{ name: 'Bad Name' }, 'name', /snake_case/],
      [{ output_type: 'CATEGORICAL' }, 'labels', /at least 2 labels/],
      [{ output_type: 'CATEGORICAL', labels: ['a', 'b'], success_labels: ['c'] }, 'success_labels', /among labels/],
      [{ threshold: 0.7 }, 'threshold', /NUMERIC/],
      [{ labels: ['a', 'b'] }, 'labels', /CATEGORICAL/],
      [{ examples: [{ input: 'x', value: 0.5 }] }, 'examples -> 0 -> value', /true or false/],
      [{ output_type: 'SCALE' }, 'output_type', /.+/],
    ] as [Record<string, unknown>, string, RegExp][])('%#: %s', async (change, field, message) => {
      const res = await post(a, '', { ...REFUND_RUBRIC, name: 'refused_metric', ...change }).expect(422);
      expect(res.body.detail).toBe('Validation error');
      const error = res.body.errors.find((e: { field: string }) => e.field === field);
      expect(error?.message).toMatch(message);
      await get(a, '/refused_metric').expect(404);
    });

    it('refuses a judge model whose provider is not configured', async () => {
      const res = await post(a, '', {
        ...REFUND_RUBRIC,
        name: 'needs_claude',
        model: 'anthropic/claude-haiku-4-5',
      }).expect(422);
      expect(res.body.detail).toMatch(/anthropic.*not configured/i);
    });

    it('refuses a bad change and keeps the version as it was', async () => {
      const res = await patch(a, 'refund_policy', { prompt_template: '{{nope}}' }).expect(422);
      expect(errorFields(res.body)).toEqual(['prompt_template']);
      expect((await get(a, '/refund_policy')).body.version).toBe(2);
    });

    it('answers 409 for a name already in use', async () => {
      const res = await post(a, '', REFUND_RUBRIC).expect(409);
      expect(res.body.detail).toMatch(/already exists: PATCH it/);
    });
  });

  describe('preview', () => {
    it('renders a draft for a trace exactly as the judge would get it, calling nobody', async () => {
      const before = judge.requests.length;
      const res = await post(a, '/preview', { trace_id: traceId, definition: REFUND_DEFINITION }).expect(200);
      expect(res.body).toMatchObject({ name: null, version: null, trace_id: traceId, chars_cut: 0, judgement: null });
      expect(res.body.prompt).toContain('[stage: custom_draft.judge]');
      expect(res.body.prompt).toContain('Request: {"messages":[{"role":"user","content":"Refund order 77 please"}]}');
      expect(res.body.prompt).toContain('- TOOL "lookup_order"\n  args: {"id":77}\n  output: {"days_since_order":40}');
      expect(res.body.prompt).not.toContain('"think"');
      expect(res.body.prompt).toContain('verdict: true if the run meets the rubric');
      expect(judge.requests.length).toBe(before);
    });

    it('judges a saved version once, stores no score, and sends the judge the previewed prompt', async () => {
      const before = judge.requests.length;
      const res = await post(a, '/refund_policy/preview', { trace_id: traceId, version: 1, judge: true }).expect(200);
      expect(res.body).toMatchObject({
        name: 'refund_policy',
        version: 1,
        judgement: { data_type: 'BOOLEAN', value: 'false', success: false, calls: 1, model: 'openai/judge-test' },
      });
      const calls = judge.requests.slice(before).filter((r) => r.endpoint === 'chat');
      expect(calls).toHaveLength(1);
      expect(calls[0].prompt).toBe(res.body.prompt);
      const scores = await t.http
        .get('/evaluations/trace-scores')
        .query({ trace_id: traceId })
        .set(a.headers)
        .expect(200);
      expect(scores.body.total).toBe(0);
    });

    it('judges a CATEGORICAL rubric to one of its labels', async () => {
      const res = await post(a, '/routing/preview', { trace_id: traceId, judge: true }).expect(200);
      expect(res.body.judgement).toMatchObject({ data_type: 'CATEGORICAL', value: 'refund', success: true });
    });

    it('shows the session’s earlier turns', async () => {
      const session = `s-${randomUUID()}`;
      await ingestTrace(t, a, {
        session_id: session,
        input: 'first question',
        output: 'first answer',
        started_at: '2026-02-01T10:00:00Z',
        ended_at: '2026-02-01T10:00:01Z',
      });
      const second = await ingestTrace(t, a, {
        session_id: session,
        input: 'second question',
        started_at: '2026-02-01T10:05:00Z',
        ended_at: '2026-02-01T10:05:01Z',
      });
      const res = await post(a, '/preview', {
        trace_id: second.trace_id,
        definition: { output_type: 'NUMERIC', prompt_template: 'Before: {{session_history}} Now: {{input}}' },
      }).expect(200);
      expect(res.body.prompt).toContain(
        'Before: Turn 1 input: "first question"\nTurn 1 output: "first answer" Now: "second question"',
      );
    });

    it('refuses a bad draft, an unknown trace and a bad body', async () => {
      const bad = await post(a, '/preview', {
        trace_id: traceId,
        definition: { output_type: 'BOOLEAN', prompt_template: '{{x}}' },
      }).expect(422);
      expect(errorFields(bad.body)).toEqual(['prompt_template']);
      await post(a, '/preview', { trace_id: randomUUID(), definition: REFUND_DEFINITION }).expect(404);
      const shape = await post(a, '/refund_policy/preview', { trace_id: 'nope', judge: 'yes' }).expect(422);
      expect(errorFields(shape.body).sort()).toEqual(['judge', 'trace_id']);
    });
  });

  describe('tenancy', () => {
    it('never shows, changes, deletes or previews another project’s metric, nor its traces', async () => {
      await get(b, '/refund_policy').expect(404);
      await get(b, '/refund_policy/versions').expect(404);
      await get(b, '/refund_policy/versions/1').expect(404);
      await patch(b, 'refund_policy', { description: 'x' }).expect(404);
      await t.http.delete(`${BASE}/refund_policy`).set(b.headers).expect(404);
      await post(b, '/refund_policy/preview', { trace_id: traceId }).expect(404);
      expect((await get(b).expect(200)).body.total).toBe(0);
      // The same name is free in another project, and a's trace is not b's to preview.
      expect((await post(b, '', REFUND_RUBRIC).expect(201)).body.version).toBe(1);
      await post(b, '/refund_policy/preview', { trace_id: traceId }).expect(404);
      expect((await get(a, '/refund_policy')).body).toMatchObject({ version: 2, description: 'Policy v2' });
    });
  });
});

describe('custom metrics: a judged preview counts against the organization’s judge quota', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let traceId: string;

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp(
      evalRunTestEnv(judge.baseUrl, 'cmq', { QUOTA_JUDGE_CALLS_PER_DAY: '2', QUOTA_JUDGE_TOKENS_PER_DAY: '0' }),
    );
    a = await createTenant(t);
    traceId = (await ingestTrace(t, a, { output: 'refunded <<false>>' })).trace_id;
  });
  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  it('reserves a call before judging, adds the tokens after, refuses with a 429 once spent, stores no score', async () => {
    const preview = () =>
      t.http
        .post(`${BASE}/preview`)
        .set(a.headers)
        .send({ trace_id: traceId, definition: REFUND_DEFINITION, judge: true });
    const first = await preview().expect(200);
    // The scripted judge answers the rubric from the prompt: the trace's output says <<false>>.
    expect(first.body.judgement).toMatchObject({ data_type: 'BOOLEAN', value: 'false', success: false, calls: 1 });
    await preview().expect(200);
    const usage = Object.fromEntries((await t.app.get(OrgQuotaService).report(a.orgId)).map((q) => [q.name, q.used]));
    expect(usage.judgeCallsPerDay).toBe(2);
    expect(usage.judgeTokensPerDay).toBe(
      first.body.judgement.input_tokens * 2 + first.body.judgement.output_tokens * 2,
    );
    const calls = judge.requests.length;
    const refused = await preview().expect(429);
    expect(refused.body.detail).toContain('QUOTA_JUDGE_CALLS_PER_DAY');
    expect(judge.requests.length).toBe(calls);
    // Rendering alone calls nobody and is never refused.
    await t.http
      .post(`${BASE}/preview`)
      .set(a.headers)
      .send({ trace_id: traceId, definition: REFUND_DEFINITION })
      .expect(200);
    const scores = await t.http
      .get('/evaluations/trace-scores')
      .query({ trace_id: traceId })
      .set(a.headers)
      .expect(200);
    expect(scores.body.total).toBe(0);
  });
});
