import { CutString, judgeCutChars, md5Hex, reviveCut } from '../../traces/cut-text';
import type { SpanView, TraceView } from '../types/trace-view';
import { spanView, traceView } from '../../../../test/support/judge-server/trace-views';
import { renderTaskContext, renderTrace, truncate, valueTextOf } from './render-trace';

/**
 * What `judge_cut` does in SQL, in JavaScript (the e2e spec judge-cut checks the SQL itself): every
 * string longer than `k` code points becomes a CutString, tool calls stay whole.
 */
function cutLike(value: unknown, k: number): unknown {
  if (typeof value === 'string') {
    const points = [...value];
    return points.length <= k
      ? value
      : new CutString(points.slice(0, k).join(''), JSON.stringify(value).length, md5Hex(value));
  }
  if (Array.isArray(value)) return value.map((v) => cutLike(v, k));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (o.type === 'tool_use' || o.type === 'tool-call') return o;
  return Object.fromEntries(
    Object.entries(o).map(([key, v]) => [key, key === 'tool_calls' || key === 'function_call' ? v : cutLike(v, k)]),
  );
}

const K = judgeCutChars(2_000);
/** `n` code points (never half an emoji: PostgreSQL holds no lone surrogate). */
const long = (seed: string, n: number) =>
  [...`${seed} "q" \\ \n\t\u0001 é 😀 `.repeat(Math.ceil(n / 14))].slice(0, n).join('');

function span(i: number, input: unknown, output: unknown): SpanView {
  return spanView({
    span_id: `s${i}`,
    parent_span_id: i === 0 ? null : 's0',
    name: `n${i}`,
    kind: i === 3 ? 'TOOL' : 'LLM',
    input,
    output,
    started_at: `2026-01-01T00:00:0${i}.000Z`,
  });
}

function trace(cut: boolean): TraceView {
  const c = (v: unknown) => (cut ? cutLike(v, K) : v);
  const big = long('big', 50_000);
  return traceView(
    [
      span(0, c({ q: big }), c(long('out', 20_000))),
      span(1, c([{ role: 'user', content: big }]), c(big)),
      span(
        2,
        c({ tool_calls: [{ function: { name: 'f', arguments: long('args', 9_000) } }] }),
        c({ x: [long('a', 6_000), 'b'] }),
      ),
      span(3, c(long('tool', 5_000)), c({ '10': 1, '2': long('two', K + 1), z: 'short' })),
    ],
    { input: { q: big }, output: big },
  );
}

describe('rendering span values loaded cut', () => {
  it('renders as the whole values at several budgets', () => {
    const [cut, whole] = [trace(true), trace(false)];
    expect([...(cut.spans[1].output as CutString).head]).toHaveLength(K);
    for (const budget of [
      { fieldChars: 2_000, totalChars: 40_000 },
      { fieldChars: 60, totalChars: 700 },
      { fieldChars: K, totalChars: 500_000 },
    ]) {
      expect(renderTrace(cut, budget)).toEqual(renderTrace(whole, budget));
      expect(renderTaskContext(cut, budget)).toEqual(renderTaskContext(whole, budget));
    }
  });

  it('gives a LongText whose head and length are the whole text’s', () => {
    const value = { a: [1, long('x', 10_000)], b: long('y', 5_000) };
    const whole = valueTextOf(value) as string;
    const cut = valueTextOf(cutLike(value, K));
    expect(typeof cut).toBe('object');
    expect(cut.length).toBe(whole.length);
    expect(whole.startsWith((cut as { head: string }).head)).toBe(true);
    expect(truncate(cut, 2_000)).toEqual(truncate(whole, 2_000));
    expect(() => truncate(cut, whole.length)).toThrow();
  });

  it('revives markers and unwraps wrapped objects, leaving tool calls alone', () => {
    const marker = { '\u0001cut': 'head', n: 12, h: 'abc' };
    const revived = reviveCut({
      a: marker,
      b: { '\u0001obj': { '\u0001cut': 'user data', c: marker } },
      tool_calls: [{ '\u0001cut': 'kept' }],
      d: { type: 'tool_use', input: { '\u0001cut': 'kept too' } },
    }) as Record<string, unknown>;
    expect(revived.a).toEqual(new CutString('head', 12, 'abc'));
    expect(revived.b).toEqual({ '\u0001cut': 'user data', c: new CutString('head', 12, 'abc') });
    expect(revived.tool_calls).toEqual([{ '\u0001cut': 'kept' }]);
    expect(revived.d).toEqual({ type: 'tool_use', input: { '\u0001cut': 'kept too' } });
  });
});
