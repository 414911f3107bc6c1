import { MAX_SPANS_PER_REQUEST } from '../../traces/traces.constants';
import type { OtlpSpan } from '../wire/otlp-model';
import { otelSpanId, otelTraceId, spanUuid, traceUuid } from './ids';
import { mapSpan } from './map-span';
import { mapExport } from './map-trace';
import { nanosToIso } from './values';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
let next = 1;
function span(over: Partial<OtlpSpan> = {}): OtlpSpan {
  const id = (next++).toString(16).padStart(16, '0');
  return {
    traceId: TRACE,
    spanId: id,
    parentSpanId: '',
    name: `span-${id}`,
    kind: 1,
    startTimeUnixNano: '1765000000123456789',
    endTimeUnixNano: '1765000001000000000',
    attributes: {},
    events: [],
    status: { code: 0, message: '' },
    resource: { 'service.name': 'svc', 'service.version': '1.0', 'deployment.environment.name': 'prod' },
    scope: { name: 'scope', version: '' },
    ...over,
  };
}

describe('ids and times', () => {
  it('keeps every digit of the trace and span ids, reversibly', () => {
    expect(traceUuid(TRACE)).toBe('0af76519-16cd-43dd-8448-eb211c80319c');
    expect(otelTraceId(traceUuid(TRACE))).toBe(TRACE);
    expect(spanUuid('b7ad6b7169203331')).toBe('00000000-0000-0000-b7ad-6b7169203331');
    expect(otelSpanId(spanUuid('b7ad6b7169203331'))).toBe('b7ad6b7169203331');
  });

  it('turns nanoseconds into ISO-8601 with microseconds; zero or garbage is no time', () => {
    expect(nanosToIso('1765000000123456789')).toBe('2025-12-06T05:46:40.123456Z');
    expect(nanosToIso('0')).toBeNull();
    expect(nanosToIso('')).toBeNull();
    expect(nanosToIso('12abc')).toBeNull();
  });
});

describe('mapSpan', () => {
  it('maps status, errors from exception events, and keeps unconsumed attributes as metadata', () => {
    const mapped = mapSpan(
      span({
        kind: 3,
        attributes: { 'http.url': 'x', 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 4 },
        status: { code: 2, message: '' },
        events: [
          {
            name: 'exception',
            timeUnixNano: '1',
            attributes: { 'exception.type': 'TypeError', 'exception.message': 'boom' },
          },
        ],
      }),
    ).span;
    expect(mapped).toMatchObject({
      kind: 'LLM',
      status: 'ERROR',
      error: 'TypeError: boom',
      token_usage: { prompt_tokens: 4, total_tokens: 4 },
      metadata: { 'http.url': 'x', 'otel.span_kind': 'CLIENT', 'otel.scope.name': 'scope' },
    });
    expect(mapped.metadata).not.toHaveProperty('gen_ai.operation.name');
  });

  it('keeps the usage of agent spans out of the totals, in metadata', () => {
    const mapped = mapSpan(
      span({ attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 9 } }),
    ).span;
    expect(mapped.token_usage).toBeNull();
    expect(mapped.metadata?.['otel.usage']).toEqual({ prompt_tokens: 9, total_tokens: 9 });
  });
});

describe('mapExport', () => {
  it('takes the trace fields from the root span and the session and user from any span', () => {
    const root = span({
      name: 'agent',
      status: { code: 2, message: 'bad' },
      attributes: { 'input.value': 'q', 'output.value': 'a' },
    });
    const kid = span({
      parentSpanId: root.spanId,
      attributes: { 'session.id': 's', 'enduser.id': 'u', 'tag.tags': ['t'] },
    });
    const { writes, rejected } = mapExport([kid, root]);
    expect(rejected).toEqual([]);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({
      provisional: false,
      spanCount: 2,
      trace: {
        trace_id: traceUuid(TRACE),
        name: 'agent',
        status: 'ERROR',
        input: 'q',
        output: 'a',
        session_id: 's',
        user_id: 'u',
        tags: ['t'],
        environment: 'prod',
        release: '1.0',
        started_at: '2025-12-06T05:46:40.123456Z',
        ended_at: '2025-12-06T05:46:41.000000Z',
        metadata: { 'service.name': 'svc', 'otel.trace_id': TRACE },
      },
    });
  });

  it('writes spans without their root as a provisional RUNNING trace', () => {
    const { writes } = mapExport([span({ parentSpanId: 'ffffffffffffffff', name: 'child' })]);
    expect(writes[0]).toMatchObject({ provisional: true, trace: { name: 'child', status: 'RUNNING', ended_at: null } });
  });

  it('splits a trace past MAX_SPANS_PER_REQUEST spans, the root in the first write', () => {
    const root = span({ name: 'root' });
    const kids = Array.from({ length: MAX_SPANS_PER_REQUEST + 5 }, () => span({ parentSpanId: root.spanId }));
    const { writes } = mapExport([...kids, root]);
    expect(writes.map((w) => [w.spanCount, w.provisional])).toEqual([
      [MAX_SPANS_PER_REQUEST, false],
      [6, true],
    ]);
    expect(writes[0].trace.spans![0].name).toBe('root');
  });

  it('rejects spans with bad ids or no start time, and keeps the others', () => {
    const { writes, rejected } = mapExport([
      span(),
      span({ spanId: '0000000000000000' }),
      span({ traceId: 'abc' }),
      span({ parentSpanId: '12' }),
      span({ startTimeUnixNano: '0' }),
    ]);
    expect(writes[0].spanCount).toBe(1);
    expect(rejected.map((r) => r.reason.replace(/^span \S+: /, ''))).toEqual([
      'span_id must be 8 bytes, not all zero',
      'trace_id must be 16 bytes, not all zero',
      'parent_span_id must be empty or 8 bytes',
      'start_time_unix_nano is required',
    ]);
  });
});
