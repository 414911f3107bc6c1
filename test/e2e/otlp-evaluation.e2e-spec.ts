import { context, trace, type Tracer } from '@opentelemetry/api';
import { flush, init, shutdown, withSpan, withTrace } from 'pandaprobe';
import { evalRunTestEnv, waitForRun } from '../factories/eval-run.factory';
import { startJudgeServer, type JudgeServer, type LoggedRequest } from '../support/judge-server';
import { otelProvider, traceUuidOf, versionlessIds } from '../support/otel';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const QUESTION = 'Where is order 42?';
const ANSWER = 'Order 42 shipped yesterday.';
const CALL = { id: 'call_1', type: 'function', function: { name: 'lookup_order', arguments: '{"order_id":42}' } };
const tick = () => new Promise((r) => setTimeout(r, 5));
const parts = (role: string, ...p: object[]) => ({ role, parts: p });

/** The agent run as an OTel-instrumented agent reports it (GenAI semantic conventions). */
async function otelRun(tracer: Tracer): Promise<string> {
  const root = tracer.startSpan('support-agent', {
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.input.messages': JSON.stringify([parts('user', { type: 'text', content: QUESTION })]),
      'gen_ai.output.messages': JSON.stringify([parts('assistant', { type: 'text', content: ANSWER })]),
    },
  });
  const inRoot = trace.setSpan(context.active(), root);
  const span = async (name: string, attributes: Record<string, string | number>) => {
    await tick(); // distinct start times, so both traces' spans sort the same way
    tracer.startSpan(name, { attributes }, inRoot).end();
  };
  await span('chat gpt-4o-mini', {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.input.messages': JSON.stringify([parts('user', { type: 'text', content: QUESTION })]),
    'gen_ai.output.messages': JSON.stringify([
      parts('assistant', { type: 'tool_call', id: 'call_1', name: 'lookup_order', arguments: { order_id: 42 } }),
    ]),
  });
  await span('execute_tool lookup_order', {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'lookup_order',
    'gen_ai.tool.call.arguments': '{"order_id":42}',
    'gen_ai.tool.call.result': '{"status":"shipped"}',
  });
  await span('chat gpt-4o-mini', {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.input.messages': JSON.stringify([
      parts('user', { type: 'text', content: QUESTION }),
      parts('assistant', { type: 'tool_call', id: 'call_1', name: 'lookup_order', arguments: { order_id: 42 } }),
      parts('tool', { type: 'tool_call_response', id: 'call_1', response: '{"status":"shipped"}' }),
    ]),
    'gen_ai.output.messages': JSON.stringify([parts('assistant', { type: 'text', content: ANSWER })]),
  });
  root.end();
  return root.spanContext().traceId;
}

/** The same run sent by the pandaprobe SDK, as a team without OpenTelemetry would instrument it. */
async function sdkRun(): Promise<string> {
  let traceId = '';
  const user = { role: 'user', content: QUESTION };
  await withTrace('support-agent', { input: { messages: [user] } }, async (ctx) => {
    traceId = ctx.traceId;
    await withSpan('support-agent', { kind: 'AGENT' }, async (agent) => {
      agent.setInput({ messages: [user] });
      await tick();
      await withSpan('chat gpt-4o-mini', { kind: 'LLM', model: 'gpt-4o-mini' }, async (llm) => {
        llm.setInput({ messages: [user] });
        llm.setOutput({ messages: [{ role: 'assistant', tool_calls: [CALL] }] });
      });
      await tick();
      await withSpan('execute_tool lookup_order', { kind: 'TOOL' }, async (tool) => {
        tool.setInput({ order_id: 42 });
        tool.setOutput({ status: 'shipped' });
      });
      await tick();
      await withSpan('chat gpt-4o-mini', { kind: 'LLM', model: 'gpt-4o-mini' }, async (llm) => {
        llm.setInput({
          messages: [
            user,
            { role: 'assistant', tool_calls: [CALL] },
            { role: 'tool', tool_call_id: 'call_1', content: '{"status":"shipped"}' },
          ],
        });
        llm.setOutput({ messages: [{ role: 'assistant', content: ANSWER }] });
      });
      agent.setOutput({ messages: [{ role: 'assistant', content: ANSWER }] });
    });
    ctx.setOutput({ messages: [{ role: 'assistant', content: ANSWER }] });
  });
  await flush();
  return traceId;
}

/**
 * The scripted judge answers from what the rendered trace shows: the task and outcome it can read,
 * the tool calls it can find. Equal scores then mean the judge saw the same facts in both traces.
 */
function scriptJudge(judge: JudgeServer): void {
  const has = (req: LoggedRequest, text: string) => req.prompt.includes(text);
  judge.answer('task_completion.extract', (req) => ({
    task: has(req, QUESTION) ? 'Find out where order 42 is.' : 'unknown',
    outcome: has(req, ANSWER) ? 'Looked order 42 up; said it shipped yesterday.' : 'nothing visible',
  }));
  judge.answer('task_completion.score', (req) => ({
    verdict: has(req, 'shipped yesterday') && has(req, 'order 42') ? 0.9 : 0.1,
    reason: 'scripted',
  }));
  judge.answer('tool_correctness.extract', (req) => {
    const calls = [...new Set([...req.prompt.matchAll(/lookup_order\((\{[^)]*\})\)/g)].map((m) => m[1]))];
    return {
      user_input: has(req, QUESTION) ? QUESTION : '',
      tools_called: calls.map((parameters) => ({ name: 'lookup_order', parameters })),
      available_tools: [{ name: 'lookup_order', description: 'Looks an order up' }],
    };
  });
  judge.answer('tool_correctness.score', (req) => ({
    score: has(req, '"name":"lookup_order","parameters":{"order_id":42}') ? 1 : 0,
    reason: 'scripted',
  }));
}

describe('OTLP-ingested traces are judged like SDK-sent ones', () => {
  let t: TestApp;
  let tenant: Tenant;
  let judge: JudgeServer;

  beforeAll(async () => {
    judge = await startJudgeServer();
    scriptJudge(judge);
    t = await createTestApp(
      evalRunTestEnv(judge.baseUrl, 'otlp', {
        RUN_WORKER_IN_PROCESS: 'true',
        RATE_LIMIT_INGEST: '100000',
        RATE_LIMIT_INGEST_BURST: '100000',
      }),
    );
    tenant = await createTenant(t);
    init({
      apiKey: tenant.apiKey,
      projectName: tenant.projectName,
      endpoint: t.baseUrl,
      flushInterval: 3600,
      batchSize: 1000,
    });
  });
  afterAll(async () => {
    await shutdown();
    await t.close();
    await judge.close();
  });

  it('gives the OTLP trace and its SDK twin the same rendering and the same scores', async () => {
    const provider = otelProvider(t.baseUrl, tenant, { idGenerator: versionlessIds });
    const otelId = traceUuidOf(await otelRun(provider.getTracer('agent')));
    await provider.forceFlush();
    await provider.shutdown();
    const sdkId = await sdkRun();

    const run = await t.http
      .post('/evaluations/trace-runs/batch')
      .set(tenant.headers)
      .send({ name: 'twins', trace_ids: [otelId, sdkId], metrics: ['task_completion', 'tool_correctness'] });
    expect(run.status).toBe(202); // the OTel trace id as a UUID has no RFC version bits
    const done = await waitForRun(t, tenant, run.body.id);
    expect(done).toMatchObject({ status: 'COMPLETED', evaluated_count: 2, failed_count: 0 });

    // The judge was shown the same trace twice.
    const rendered = judge.stageRequests('task_completion.extract').map((r) => r.prompt);
    expect(rendered).toHaveLength(2);
    expect(rendered[0]).toBe(rendered[1]);

    const scores = (await t.http.get(`/evaluations/trace-runs/${run.body.id}/scores`).set(tenant.headers).expect(200))
      .body as { trace_id: string; name: string; value: string; metadata: Record<string, unknown> }[];
    const of = (traceId: string) =>
      Object.fromEntries(scores.filter((s) => s.trace_id === traceId).map((s) => [s.name, s.value]));
    expect(of(otelId)).toEqual({ task_completion: '0.9', tool_correctness: '1.0' });
    expect(of(sdkId)).toEqual(of(otelId));
    // Everything the metric recorded is the same, the judge's token counts included; only its latency differs.
    const meta = (traceId: string) => {
      const metadata = scores.find((s) => s.trace_id === traceId && s.name === 'tool_correctness')!.metadata;
      return { ...metadata, judge_usage: { ...(metadata.judge_usage as object), latency_ms: 0 } };
    };
    expect(meta(otelId)).toMatchObject({ tools_called: [{ name: 'lookup_order', parameters: { order_id: 42 } }] });
    expect(meta(otelId)).toEqual(meta(sdkId));
  });
});
