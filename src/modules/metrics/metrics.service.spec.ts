import { getEventListeners } from 'node:events';
import { startJudgeServer, type JudgeServer } from '../../../test/support/judge-server';
import { judgeTestConfig } from '../../../test/support/judge-server/test-config';
import { JudgeService } from '../judge/judge.service';
import { MetricRegistry } from './metric-registry';
import type { MetricOutcome } from './metrics.types';
import { MetricsService } from './metrics.service';
import type { TraceView } from './types/trace-view';
import { spanView, traceView } from '../../../test/support/judge-server/trace-views';

const span = spanView;

function weatherTrace(over: Partial<TraceView> = {}): TraceView {
  return traceView(
    [
      span({
        span_id: 'root',
        name: 'weather-agent',
        input: { question: 'weather in Paris tomorrow' },
        output: 'sunny',
        started_at: '2026-01-01T00:00:00Z',
      }),
      span({
        span_id: 'plan',
        parent_span_id: 'root',
        kind: 'LLM',
        model: 'gpt-4o',
        output: 'PLAN-MARKER: 1) call forecast 2) answer',
        started_at: '2026-01-01T00:00:01Z',
      }),
      span({
        span_id: 'tool',
        parent_span_id: 'root',
        kind: 'TOOL',
        name: 'forecast',
        input: { city: 'Paris', day: 'tomorrow' },
        output: { sky: 'sunny', temp: 21 },
        started_at: '2026-01-01T00:00:02Z',
      }),
    ],
    {
      name: 'weather-agent',
      input: 'What is the weather in Paris tomorrow?',
      output: 'Tomorrow Paris will be sunny, 21°C.',
      ended_at: '2026-01-01T00:00:03.000Z',
      ...over,
    },
  );
}

describe('MetricsService: every metric end to end through the real provider code', () => {
  let server: JudgeServer;
  let judge: JudgeService;
  let metrics: MetricsService;

  const one = async (name: string, trace = weatherTrace(), model?: string): Promise<MetricOutcome> =>
    (await metrics.evaluateTrace(trace, [name], { model }))[0];
  const ok = (o: MetricOutcome) => {
    if (!o.ok) throw new Error(`expected success, got: ${o.error}`);
    return o;
  };

  beforeAll(async () => {
    server = await startJudgeServer();
    const config = judgeTestConfig(server.baseUrl, { JUDGE_MAX_RETRIES: '3' });
    judge = new JudgeService(config);
    metrics = new MetricsService(judge, new MetricRegistry(), config);
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    await judge.onModuleDestroy();
    await server.close();
  });

  it('task_completion: score = verdict, reason, metadata {task, outcome, threshold, success}', async () => {
    server.answer('task_completion.extract', {
      task: 'Know the weather in Paris tomorrow',
      outcome: 'Called forecast; replied sunny 21°C',
    });
    server.answer('task_completion.score', { verdict: 0.4, reason: 'Partly answered.' });
    const o = ok(await one('task_completion'));
    expect(o).toMatchObject({ score: 0.4, reason: 'Partly answered.' });
    expect(o.metadata).toEqual({
      task: 'Know the weather in Paris tomorrow',
      outcome: 'Called forecast; replied sunny 21°C',
      threshold: 0.5,
      success: false,
    });
    const [extract, score] = [
      server.stageRequests('task_completion.extract'),
      server.stageRequests('task_completion.score'),
    ];
    expect(extract).toHaveLength(1);
    expect(extract[0].prompt).toContain('- TOOL "forecast"');
    expect(score[0].prompt).toContain('Know the weather in Paris tomorrow');
    expect(score[0].prompt).not.toContain('- TOOL "forecast"');
    expect(o.usage).toMatchObject({ model: 'openai/judge-test', calls: 2 });
    expect(o.usage.input_tokens).toBeGreaterThan(0);
    expect(o.usage.output_tokens).toBeGreaterThan(0);
  });

  it('tool_correctness: score, reason and parsed tool parameters in metadata', async () => {
    server.answer('tool_correctness.extract', {
      user_input: 'weather in Paris',
      tools_called: [{ name: 'forecast', parameters: '{"city":"Paris"}' }],
      available_tools: [{ name: 'forecast', description: 'Weather forecast' }],
    });
    server.answer('tool_correctness.score', { score: 0.9, reason: 'Right tool.' });
    const o = ok(await one('tool_correctness'));
    expect(o).toMatchObject({ score: 0.9, reason: 'Right tool.' });
    expect(o.metadata).toEqual({
      user_input: 'weather in Paris',
      tools_called: [{ name: 'forecast', parameters: { city: 'Paris' } }],
      available_tools: [{ name: 'forecast', description: 'Weather forecast' }],
      threshold: 0.5,
      success: true,
    });
    expect(server.stageRequests('tool_correctness.score')[0].prompt).toContain(
      '[{"name":"forecast","parameters":{"city":"Paris"}}]',
    );
  });

  it('argument_correctness: score = yes / verdicts, reason from the reason stage', async () => {
    server.answer('argument_correctness.extract', {
      user_input: 'weather in Paris',
      tool_calls: [
        { name: 'forecast', parameters: '{"city":"Paris"}', reasoning: null },
        { name: 'forecast', parameters: '{"city":"Lyon"}', reasoning: 'why not' },
        { name: 'units', parameters: '{}', reasoning: null },
      ],
    });
    server.answer('argument_correctness.verdicts', {
      verdicts: [
        { verdict: 'yes', reason: null },
        { verdict: 'no', reason: 'Wrong city: Lyon' },
        { verdict: 'yes', reason: null },
      ],
    });
    server.answer('argument_correctness.reason', { reason: 'One call used the wrong city.' });
    const o = ok(await one('argument_correctness'));
    expect(o.score).toBeCloseTo(2 / 3, 10);
    expect(o.reason).toBe('One call used the wrong city.');
    expect(o.metadata).toEqual({
      user_input: 'weather in Paris',
      verdicts: [
        { verdict: 'yes', reason: null },
        { verdict: 'no', reason: 'Wrong city: Lyon' },
        { verdict: 'yes', reason: null },
      ],
      threshold: 0.5,
      success: true,
    });
    const reasonPrompt = server.stageRequests('argument_correctness.reason')[0].prompt;
    expect(reasonPrompt).toContain('- Wrong city: Lyon');
    expect(reasonPrompt).toContain('0.67');
  });

  it('argument_correctness: no tool calls → 1.0 after the extraction only', async () => {
    server.answer('argument_correctness.extract', { user_input: 'hi', tool_calls: [] });
    const o = ok(await one('argument_correctness'));
    expect(o.score).toBe(1);
    expect(o.reason).toMatch(/no tool calls/i);
    expect(o.metadata).toEqual({ user_input: 'hi', verdicts: [], threshold: 0.5, success: true });
    expect(server.requests.map((r) => r.stage)).toEqual(['argument_correctness.extract']);
  });

  it('argument_correctness: zero verdicts → 1.0', async () => {
    server.answer('argument_correctness.verdicts', { verdicts: [] });
    const o = ok(await one('argument_correctness'));
    expect(o.score).toBe(1);
    expect(server.stageRequests('argument_correctness.reason')[0].prompt).toContain('(none)');
  });

  it('step_efficiency: task extracted from the request only, then scored on the trace', async () => {
    server.answer('step_efficiency.extract_task', { task: 'Get tomorrow’s Paris weather' });
    server.answer('step_efficiency.score', { score: 0.75, reason: 'One redundant call.' });
    const o = ok(await one('step_efficiency'));
    expect(o).toMatchObject({
      score: 0.75,
      reason: 'One redundant call.',
      metadata: { task: 'Get tomorrow’s Paris weather', threshold: 0.5, success: true },
    });
    const taskPrompt = server.stageRequests('step_efficiency.extract_task')[0].prompt;
    expect(taskPrompt).toContain('What is the weather in Paris tomorrow?');
    expect(taskPrompt).not.toContain('PLAN-MARKER');
    expect(server.stageRequests('step_efficiency.score')[0].prompt).toContain('PLAN-MARKER');
  });

  it('plan_adherence: plan extracted, scored against the trace', async () => {
    server.answer('step_efficiency.extract_task', { task: 'Paris weather' });
    server.answer('plan_adherence.extract_plan', { plan: ['call forecast', ' answer ', ''] });
    server.answer('plan_adherence.score', { score: 0.25, reason: 'Skipped a step.' });
    const o = ok(await one('plan_adherence'));
    expect(o).toMatchObject({
      score: 0.25,
      reason: 'Skipped a step.',
      metadata: { task: 'Paris weather', plan: ['call forecast', 'answer'], threshold: 0.5, success: false },
    });
    const prompt = server.stageRequests('plan_adherence.score')[0].prompt;
    expect(prompt).toContain('["call forecast","answer"]');
    expect(prompt).toContain('PLAN-MARKER');
    expect(o.usage.calls).toBe(3);
  });

  it('plan_adherence and plan_quality: an empty plan → 1.0 with no score call', async () => {
    server.answer('step_efficiency.extract_task', { task: 'Paris weather' });
    server.answer('plan_adherence.extract_plan', { plan: [] });
    const outcomes = await metrics.evaluateTrace(weatherTrace(), ['plan_adherence', 'plan_quality'], {});
    for (const o of outcomes.map(ok)) {
      expect(o.score).toBe(1);
      expect(o.reason).toMatch(/no plan/i);
      expect(o.metadata).toEqual({ task: 'Paris weather', plan: [], threshold: 0.5, success: true });
    }
    expect(server.stageRequests('plan_adherence.score')).toHaveLength(0);
    expect(server.stageRequests('plan_quality.score')).toHaveLength(0);
    // Shared: one task and one plan extraction for both metrics.
    expect(server.stageRequests('step_efficiency.extract_task')).toHaveLength(1);
    expect(server.stageRequests('plan_adherence.extract_plan')).toHaveLength(1);
  });

  it('plan_quality: judged on task and plan without the trace', async () => {
    server.answer('plan_adherence.extract_plan', { plan: ['call forecast', 'answer'] });
    server.answer('plan_quality.score', { score: 1, reason: 'Minimal and complete.' });
    const o = ok(await one('plan_quality'));
    expect(o).toMatchObject({
      score: 1,
      reason: 'Minimal and complete.',
      metadata: { plan: ['call forecast', 'answer'], success: true },
    });
    const prompt = server.stageRequests('plan_quality.score')[0].prompt;
    expect(prompt).toContain('["call forecast","answer"]');
    expect(prompt).not.toContain('PLAN-MARKER');
  });

  it('confidence: one call, score = confidence, metadata {threshold, success}', async () => {
    server.answer('confidence.evaluate', { confidence: 0.35, reason: 'Hedged twice.' });
    const o = ok(await one('confidence'));
    expect(o).toMatchObject({ score: 0.35, reason: 'Hedged twice.', metadata: { threshold: 0.5, success: false } });
    expect(server.requests).toHaveLength(1);
  });

  it('a shared abort signal keeps no listener once evaluations end (no per-trace leak on the worker signal)', async () => {
    const shutdown = new AbortController();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        metrics.evaluateTrace(weatherTrace(), ['confidence', 'coherence'], { signal: shutdown.signal }),
      ),
    );
    expect(outcomes.flat().every((o) => o.ok)).toBe(true);
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });

  it('coherence: 1 − cosine distance of the embedded input and output, no chat call', async () => {
    const trace = weatherTrace({ input: 'question text', output: { answer: 42 } });
    server.setEmbedding('question text', [1, 0]);
    server.setEmbedding('{"answer":42}', [0.6, 0.8]);
    const o = ok(await one('coherence', trace));
    expect(o).toMatchObject({ score: 0.6, reason: 'Coherence gap: 0.4000' });
    expect(o.metadata).toEqual({ coherence_gap: 0.4, threshold: 0.5, success: true });
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/embeddings']);
    expect(o.usage.model).toBe('openai/embed-test');
    expect(o.usage.calls).toBe(1);
  });

  it('coherence: opposite or zero vectors clamp to 0', async () => {
    server.setEmbedding('up', [0, 1]);
    server.setEmbedding('down', [0, -1]);
    server.setEmbedding('zero', [0, 0]);
    expect(ok(await one('coherence', weatherTrace({ input: 'up', output: 'down' }))).score).toBe(0);
    const z = ok(await one('coherence', weatherTrace({ input: 'up', output: 'zero' })));
    expect(z.score).toBe(0);
    expect(z.metadata.coherence_gap).toBe(1);
  });

  it('coherence: a 1 MB input is cut to the rendering budget before it is embedded', async () => {
    const huge = 'x'.repeat(1_000_000);
    ok(await one('coherence', weatherTrace({ input: huge, output: 'short answer' })));
    const [request] = server.requests;
    const perText = Math.floor(judgeTestConfig(server.baseUrl).judge.render.totalChars / 2);
    expect(request.body.input).toEqual(['x'.repeat(perText), 'short answer']);
    expect(request.body.input[0].length).toBe(20_000);
  });

  it('coherence: an embedding provider that reports no usage gives null tokens at the score', async () => {
    server.setReportUsage(false);
    const o = ok(await one('coherence', weatherTrace({ input: 'q', output: 'a' })));
    expect(o.usage).toMatchObject({ calls: 1, input_tokens: null, output_tokens: 0 });
  });

  it('coherence: empty input or output → 1.0 without any call', async () => {
    for (const t of [weatherTrace({ input: null }), weatherTrace({ output: '' })]) {
      const o = ok(await one('coherence', t));
      expect(o.score).toBe(1);
      expect(o.metadata).toEqual({ coherence_gap: 0, note: 'empty_input_or_output' });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('loop_detection: without session context, with an empty output, with no previous output → 1.0, no call', async () => {
    const none = ok(await one('loop_detection'));
    expect(none).toMatchObject({ score: 1, metadata: { note: 'no session context provided' } });
    const empty = ok(
      (await metrics.evaluateTrace(weatherTrace({ output: '' }), ['loop_detection'], { sessionTraces: [] }))[0],
    );
    expect(empty).toMatchObject({ score: 1, reason: 'Empty output; looping cannot be assessed.' });
    const first = ok((await metrics.evaluateTrace(weatherTrace(), ['loop_detection'], { sessionTraces: [] }))[0]);
    expect(first).toMatchObject({ score: 1, metadata: { note: 'no_previous_outputs' } });
    expect(server.requests).toHaveLength(0);
  });

  it('loop_detection: 1 − max(cosine × Jaccard) over the last three earlier outputs of the session', async () => {
    server.setEmbedding('alpha beta gamma', [1, 0]);
    server.setEmbedding('alpha beta delta', [0.6, 0.8]);
    server.setEmbedding('zeta', [1, 0]);
    const earlier = ['ignored, out of the window', 'alpha beta delta', '', 'zeta'].map((output) =>
      weatherTrace({ output }),
    );
    const [o] = await metrics.evaluateTrace(weatherTrace({ output: 'alpha beta gamma' }), ['loop_detection'], {
      sessionTraces: earlier,
    });
    // cos 0.6 × Jaccard({alpha,beta,gamma},{alpha,beta,delta}) 0.5 = 0.3; "zeta": cos 1 × Jaccard 0 = 0.
    expect(ok(o).score).toBe(0.7);
    expect(ok(o).reason).toBe('Max hybrid repetition score: 0.3000');
    expect(ok(o).metadata).toMatchObject({ window_size: 3, max_hybrid: 0.3, threshold: 0.5, success: true });
    expect((ok(o).metadata.comparisons as unknown[]).length).toBe(2);
    expect(o.usage.model).toBe('openai/embed-test');
  });

  it('all eight at once: concurrent, the trace rendered once, task and plan extracted once', async () => {
    // Every listed metric (the list itself is checked in metrics-catalogue.spec.ts).
    const all = metrics.listTraceMetrics().map((m) => m.name);
    const outcomes = await metrics.evaluateTrace(weatherTrace(), all, {});
    expect(outcomes.map((o) => o.metric)).toEqual(all);
    for (const o of outcomes) {
      const s = ok(o);
      expect(s.score).toBeGreaterThanOrEqual(0);
      expect(s.score).toBeLessThanOrEqual(1);
    }
    expect(server.stageRequests('step_efficiency.extract_task')).toHaveLength(1);
    expect(server.stageRequests('plan_adherence.extract_plan')).toHaveLength(1);
    const chat = server.requests.filter((r) => r.endpoint === 'chat');
    // 2 + 2 + 3 (argument) + task + plan + 3 scores + confidence
    expect(chat).toHaveLength(13);
    expect(chat.every((r) => r.body.temperature === 0)).toBe(true);
    expect(server.requests.filter((r) => r.endpoint === 'embeddings')).toHaveLength(1);
    // The shared extraction is paid for by exactly one metric.
    const calls = outcomes.reduce((n, o) => n + o.usage.calls, 0);
    expect(calls).toBe(14);
  });

  it('a judge that answers 401 fails the metric at once with a clear reason', async () => {
    server.fault({ status: 401, count: Infinity });
    const o = await one('confidence');
    expect(o.ok).toBe(false);
    if (!o.ok) expect(o.error).toMatch(/^Judge provider rejected the request \(401\).*Incorrect API key/);
    expect(server.requests).toHaveLength(1);
    expect(o.usage.calls).toBe(1);
  });

  it('a judge that keeps failing gives ok:false after every attempt, and other metrics still score', async () => {
    server.fault({ status: 500, count: Infinity, stage: 'confidence.evaluate' });
    const [conf, coh] = await metrics.evaluateTrace(weatherTrace(), ['confidence', 'coherence'], {});
    expect(conf).toMatchObject({
      metric: 'confidence',
      ok: false,
      error: 'Judge call failed after 4 attempts: 500 Internal Server Error',
    });
    expect(conf.usage.calls).toBe(4);
    expect(coh.ok).toBe(true);
  });

  it('unknown metrics and unknown providers become failed outcomes, never throws', async () => {
    const [unknown] = await metrics.evaluateTrace(weatherTrace(), ['nope'], {});
    expect(unknown).toMatchObject({ ok: false, error: 'Unknown metric: nope' });
    const [conf, coh] = await metrics.evaluateTrace(weatherTrace(), ['confidence', 'coherence'], {
      model: 'mistral/gemini',
    });
    expect(conf.ok).toBe(false);
    if (!conf.ok) expect(conf.error).toMatch(/Unknown judge provider 'mistral'/);
    expect(coh.ok).toBe(true);
  });

  it('uses the model override for chat calls', async () => {
    const o = ok(await one('confidence', weatherTrace(), 'openai/other-model'));
    expect(server.requests[0].body.model).toBe('other-model');
    expect(o.usage.model).toBe('openai/other-model');
  });
});
