import type { SpanView, TraceView } from '../types/trace-view';
import { spanView, traceView } from '../../../../test/support/judge-server/trace-views';
import { findToolCalls, renderTaskContext, renderTrace } from './render-trace';

let seq = 0;
const span = (over: Partial<SpanView> & { span_id: string }): SpanView =>
  spanView({
    name: `span-${over.span_id}`,
    metadata: { secret_internal: 'never rendered' },
    started_at: `2026-01-01T00:00:${String(++seq % 60).padStart(2, '0')}.000Z`,
    ...over,
  });

const trace = (spans: SpanView[], over: Partial<TraceView> = {}): TraceView =>
  traceView(spans, {
    trace_id: 't1',
    input: { question: 'What is the weather in Paris?' },
    output: { answer: 'Sunny, 21°C' },
    metadata: { sdk: 'x' },
    ...over,
  });

const budget = { fieldChars: 2000, totalChars: 40_000 };

describe('renderTrace', () => {
  it('renders the span tree with kind, name, status, model, args, tool calls, output and error', () => {
    const t = trace([
      span({ span_id: 'root', name: 'planner', started_at: '2026-01-01T00:00:00Z', input: { q: 'weather?' } }),
      span({
        span_id: 'llm',
        parent_span_id: 'root',
        kind: 'LLM',
        model: 'gpt-4o',
        started_at: '2026-01-01T00:00:01Z',
        output: {
          role: 'assistant',
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
      }),
      span({
        span_id: 'tool',
        parent_span_id: 'root',
        kind: 'TOOL',
        name: 'get_weather',
        status: 'ERROR',
        error: 'upstream timeout',
        started_at: '2026-01-01T00:00:02Z',
        input: { city: 'Paris' },
      }),
    ]);
    const { text, spansRendered } = renderTrace(t, budget);
    expect(spansRendered).toBe(3);
    expect(text).toContain('Trace "demo" (status COMPLETED)');
    expect(text).toContain('Input: {"question":"What is the weather in Paris?"}');
    expect(text).toContain('- AGENT "planner"');
    expect(text).toContain('  - LLM "span-llm" model=gpt-4o');
    expect(text).toContain('tool calls: get_weather({"city":"Paris"})');
    expect(text).toContain('  - TOOL "get_weather" [ERROR]');
    expect(text).toContain('args: {"city":"Paris"}');
    expect(text).toContain('error: upstream timeout');
    expect(text).not.toContain('secret_internal');
    expect(text).not.toContain('span_id');
    expect(text.indexOf('span-llm')).toBeLessThan(text.indexOf('"get_weather" [ERROR]'));
  });

  it('renders children whose parent comes later in the array, and spans whose parent is missing', () => {
    const t = trace([
      span({ span_id: 'child', parent_span_id: 'parent', name: 'child', started_at: '2026-01-01T00:00:02Z' }),
      span({ span_id: 'lost', parent_span_id: 'nowhere', name: 'lost', started_at: '2026-01-01T00:00:03Z' }),
      span({ span_id: 'parent', name: 'parent', started_at: '2026-01-01T00:00:01Z' }),
      span({ span_id: 'c1', parent_span_id: 'c2', name: 'cycle-a' }),
      span({ span_id: 'c2', parent_span_id: 'c1', name: 'cycle-b' }),
    ]);
    const { text, spansRendered } = renderTrace(t, budget);
    expect(spansRendered).toBe(5);
    expect(text).toMatch(/- AGENT "parent"\n {2}- AGENT "child"/);
    expect(text).toContain('- AGENT "lost" (parent not in trace)');
    expect(text).toContain('"cycle-a"');
    expect(text).toContain('"cycle-b"');
  });

  it('truncates a long value to the per-field budget and says so', () => {
    const t = trace([span({ span_id: 'a', output: 'x'.repeat(10_000) })]);
    const { text, fieldsTruncated, charsCut } = renderTrace(t, { fieldChars: 500, totalChars: 40_000 });
    expect(fieldsTruncated).toBe(1);
    expect(text).toMatch(/…\[\+\d+ chars\]/);
    expect(charsCut).toBeGreaterThan(9_000);
    expect(text).toContain('[rendering shortened');
  });

  it('keeps a trace of 500 spans with 100 KB outputs within the total budget', () => {
    const big = 'lorem ipsum '.repeat(100_000 / 12);
    const spans = [span({ span_id: 's0', name: 'root' })];
    for (let i = 1; i < 500; i++) {
      spans.push(
        span({
          span_id: `s${i}`,
          parent_span_id: i % 5 === 0 ? 's0' : `s${i - 1}`,
          kind: i % 2 ? 'TOOL' : 'LLM',
          input: { i },
          output: big,
        }),
      );
    }
    const started = Date.now();
    const rendered = renderTrace(trace(spans), budget);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(rendered.text.length).toBeLessThanOrEqual(budget.totalChars);
    expect(rendered.spansTotal).toBe(500);
    expect(rendered.spansRendered).toBeGreaterThan(50);
    expect(rendered.text).toMatch(
      /\[rendering shortened to fit the judge's budget: \d+ value\(s\) truncated, \d+ of 500 span\(s\) omitted, \d+ chars cut\]$/,
    );
  });

  it('shows long text repeated across the trace once, then refers back to it', () => {
    const answer = 'The forecast for Paris tomorrow is sunny with a high of 21°C and a light breeze.';
    const t = trace(
      [
        span({
          span_id: 'llm',
          kind: 'LLM',
          input: { messages: [{ role: 'user', content: 'short' }] },
          output: { content: answer },
        }),
      ],
      {
        output: answer,
      },
    );
    const { text } = renderTrace(t, budget);
    expect(text.split(answer)).toHaveLength(2);
    expect(text).toContain('output: {"content":"[same text as the trace output]"}');
  });

  it('shows the request alone for task extraction', () => {
    const t = trace([span({ span_id: 'r', input: { message: 'book a flight' }, output: 'lots of work' })]);
    const ctx = renderTaskContext(t, budget);
    expect(ctx).toContain('What is the weather in Paris?');
    expect(ctx).toContain('book a flight');
    expect(ctx).not.toContain('lots of work');
  });

  it('finds tool calls in OpenAI and Anthropic shapes', () => {
    expect(findToolCalls({ function_call: { name: 'f', arguments: '{"a":1}' } })).toEqual(['f({"a":1})']);
    expect(findToolCalls({ content: [{ type: 'tool_use', name: 'g', input: { b: 2 } }] })).toEqual(['g({"b":2})']);
  });
});
