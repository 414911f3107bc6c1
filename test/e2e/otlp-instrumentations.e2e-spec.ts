import { OpenTelemetry, LegacyOpenTelemetry } from '@ai-sdk/otel';
import { createOpenAI } from '@ai-sdk/openai';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { context, trace } from '@opentelemetry/api';
import { StackContextManager } from '@opentelemetry/sdk-trace';
import { generateText, isStepCount, tool, type Telemetry } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';
import { startJudgeServer, type JudgeServer } from '../support/judge-server';
import { otelProvider, traceUuidOf } from '../support/otel';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

type StoredSpan = {
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  model: string | null;
  input: any;
  output: any;
  token_usage: Record<string, number> | null;
};

/**
 * Real instrumentations exporting with the real OTLP exporter: OpenInference's instrumentation of
 * the `openai` client and the Vercel AI SDK's telemetry, both calling the scripted judge server as
 * the agent's LLM. What they emit is whatever those packages emit today; the assertions are on
 * what we store.
 */
describe('OTLP ingestion of real GenAI instrumentations', () => {
  let t: TestApp;
  let tenant: Tenant;
  let llm: JudgeServer;

  beforeAll(async () => {
    context.setGlobalContextManager(new StackContextManager().enable());
    t = await createTestApp({ RATE_LIMIT_INGEST: '100000', RATE_LIMIT_INGEST_BURST: '100000' });
    tenant = await createTenant(t);
    llm = await startJudgeServer();
    // The "agent" asks for a tool while it offers tools, and answers in text once it has the result.
    llm.answer('unknown.unknown', (req) =>
      Array.isArray(req.body.tools) && req.body.tools.length > 0
        ? { order_id: 42 }
        : { raw: 'Order 42 shipped yesterday.' },
    );
  });
  afterAll(async () => {
    await llm.close();
    await t.close();
    context.disable();
  });

  const getTrace = async (traceId: string) =>
    (
      await t.http
        .get(`/traces/${traceUuidOf(traceId)}`)
        .set(tenant.headers)
        .expect(200)
    ).body as {
      name: string;
      session_id: string | null;
      user_id: string | null;
      total_tokens: number;
      spans: StoredSpan[];
    };

  it('OpenInference instrumentation of the openai client: LLM spans with model, tokens, messages and tool calls', async () => {
    const provider = otelProvider(t.baseUrl, tenant, { protocol: 'proto' });
    const instrumentation = new OpenAIInstrumentation({ tracerProvider: provider });
    instrumentation.manuallyInstrument({ OpenAI } as never);
    const client = new OpenAI({ baseURL: llm.baseUrl, apiKey: 'sk-test' });
    const tracer = provider.getTracer('agent');
    const root = tracer.startSpan('order-agent', {
      attributes: {
        'openinference.span.kind': 'AGENT',
        'session.id': 'sess-oi',
        'user.id': 'user-oi',
        'input.value': 'Where is order 42?',
      },
    });
    const inRoot = trace.setSpan(context.active(), root);
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'lookup_order',
          parameters: { type: 'object', properties: { order_id: { type: 'number' } } },
        },
      },
    ];
    const first = await context.with(inRoot, () =>
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Where is order 42?' }],
        tools,
      }),
    );
    const call = first.choices[0].message.tool_calls![0];
    const answer = await context.with(inRoot, () =>
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'user', content: 'Where is order 42?' },
          { role: 'assistant', tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: '{"status":"shipped"}' },
        ],
      }),
    );
    root.setAttribute('output.value', answer.choices[0].message.content ?? '');
    root.end();
    await provider.forceFlush();
    await provider.shutdown();
    instrumentation.disable();

    const got = await getTrace(root.spanContext().traceId);
    expect(got).toMatchObject({ name: 'order-agent', session_id: 'sess-oi', user_id: 'user-oi' });
    const llmSpans = got.spans.filter((s) => s.kind === 'LLM');
    expect(llmSpans).toHaveLength(2);
    for (const span of llmSpans) {
      expect(span.model).toBe('gpt-4o-mini');
      expect(span.token_usage?.prompt_tokens).toBeGreaterThan(0);
      expect(span.token_usage?.completion_tokens).toBeGreaterThan(0);
    }
    const [asks, answers] = llmSpans.sort((a, b) => a.input.messages.length - b.input.messages.length);
    expect(asks.input.messages).toEqual([{ role: 'user', content: 'Where is order 42?' }]);
    expect(asks.output.messages[0].tool_calls[0]).toMatchObject({
      id: call.id,
      function: { name: 'lookup_order', arguments: '{"order_id":42}' },
    });
    expect(answers.input.messages[1].tool_calls[0].function.name).toBe('lookup_order');
    expect(answers.input.messages[2]).toMatchObject({
      role: 'tool',
      content: '{"status":"shipped"}',
      tool_call_id: call.id,
    });
    expect(answers.output.messages).toEqual([{ role: 'assistant', content: 'Order 42 shipped yesterday.' }]);
    expect(got.total_tokens).toBe(
      llmSpans.reduce((n, s) => n + s.token_usage!.prompt_tokens + s.token_usage!.completion_tokens, 0),
    );
  });

  async function runAiSdkAgent(
    integration: (tracer: ReturnType<ReturnType<typeof otelProvider>['getTracer']>) => Telemetry,
  ) {
    const provider = otelProvider(t.baseUrl, tenant, { protocol: 'json' });
    const tracer = provider.getTracer('ai-sdk');
    const openai = createOpenAI({ baseURL: llm.baseUrl, apiKey: 'sk-test' });
    const result = await generateText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'Where is order 42?',
      tools: {
        lookup_order: tool({
          description: 'Looks an order up',
          inputSchema: z.object({ order_id: z.number() }),
          execute: async ({ order_id }) => ({ order_id, status: 'shipped' }),
        }),
      },
      prepareStep: ({ stepNumber }) => (stepNumber > 0 ? { activeTools: [] } : {}),
      stopWhen: isStepCount(2),
      runtimeContext: { sessionId: 'sess-ai', userId: 'user-ai' },
      telemetry: {
        functionId: 'order-agent',
        includeRuntimeContext: { sessionId: true, userId: true },
        integrations: integration(tracer),
      },
    });
    await provider.forceFlush();
    await provider.shutdown();
    return result;
  }

  it.each([
    [
      'OpenTelemetry (GenAI conventions)',
      // The GenAI integration does not record runtime context: session and user come from enrichSpan.
      (tracer: never) =>
        new OpenTelemetry({
          tracer,
          enrichSpan: ({ runtimeContext }) =>
            runtimeContext
              ? { 'session.id': String(runtimeContext.sessionId), 'user.id': String(runtimeContext.userId) }
              : undefined,
        }),
    ],
    ['LegacyOpenTelemetry (ai.* attributes)', (tracer: never) => new LegacyOpenTelemetry({ tracer })],
  ])('the Vercel AI SDK telemetry, %s: agent, LLM and tool spans with session and user', async (_label, make) => {
    const before = new Set(
      (await t.http.get('/traces?session_id=sess-ai').set(tenant.headers)).body.items.map(
        (i: { trace_id: string }) => i.trace_id,
      ),
    );
    const result = await runAiSdkAgent(make as never);
    expect(result.text).toBe('Order 42 shipped yesterday.');
    const list = (await t.http.get('/traces?session_id=sess-ai').set(tenant.headers).expect(200)).body.items;
    const fresh = list.filter((i: { trace_id: string }) => !before.has(i.trace_id));
    expect(fresh).toHaveLength(1);
    const got = await getTrace(fresh[0].trace_id.replace(/-/g, ''));
    expect(got).toMatchObject({ session_id: 'sess-ai', user_id: 'user-ai' });
    const kinds = got.spans.map((s) => s.kind);
    expect(kinds).toContain('AGENT');
    expect(kinds.filter((k) => k === 'LLM')).toHaveLength(2);
    const toolSpan = got.spans.find((s) => s.kind === 'TOOL')!;
    expect(toolSpan.input).toEqual({ order_id: 42 });
    expect(toolSpan.output).toEqual({ order_id: 42, status: 'shipped' });
    const llmSpans = got.spans.filter((s) => s.kind === 'LLM');
    for (const span of llmSpans) {
      expect(span.model).toMatch(/^gpt-4o-mini/);
      expect(span.token_usage?.prompt_tokens).toBeGreaterThan(0);
    }
    // Each model call counted once: the agent span's own usage total is not added again.
    expect(got.total_tokens).toBe(
      llmSpans.reduce((n, s) => n + s.token_usage!.prompt_tokens + s.token_usage!.completion_tokens, 0),
    );
    const calls = llmSpans.flatMap(
      (s) => s.output?.messages?.flatMap((m: { tool_calls?: unknown[] }) => m.tool_calls ?? []) ?? [],
    );
    expect(calls).toEqual([
      expect.objectContaining({ function: { name: 'lookup_order', arguments: '{"order_id":42}' } }),
    ]);
    const texts = llmSpans.flatMap((s) => s.output?.messages?.map((m: { content?: unknown }) => m.content) ?? []);
    expect(texts).toContain('Order 42 shipped yesterday.');
    expect(JSON.stringify(llmSpans.map((s) => s.input))).toContain('Where is order 42?');
  });
});
