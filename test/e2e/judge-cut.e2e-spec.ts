/**
 * Span values loaded cut for judging (`judge_cut`, TracesForJudging) render exactly as loaded whole:
 * built-in rendering, task context, custom templates ({{trace}}, {{spans}}, {{input}}, …), for trace
 * runs (byIds) and session runs (bySessions), at several budgets, for huge strings of every kind
 * (escapes, control characters, emoji at the cut, repeated text, tool calls, marker-like keys).
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/env';
import { renderTaskContext, renderTrace, type RenderBudget } from '../../src/modules/metrics/render/render-trace';
import { renderTemplate } from '../../src/modules/custom-metrics/template/render-template';
import { parseTemplate } from '../../src/modules/custom-metrics/template/template';
import { CutString, DIGEST_KEY_CHARS, judgeCutChars } from '../../src/modules/traces/cut-text';
import { TracesForJudging, type TraceView } from '../../src/modules/traces/traces-for-judging';
import { buildSpan, buildTrace, at } from '../factories/trace.factory';
import { TEST_ENV } from '../support/test-env';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const K = judgeCutChars(2_000); // what the default JUDGE_RENDER_FIELD_CHARS loads
const pattern = (seed: string, n: number) => {
  // Quotes, backslashes, newlines, tabs, control characters, non-ASCII, U+2028, an emoji: every escape.
  const unit = `${seed} "q" \\ back\nline\ttab \u0001\u001f é ü ✓ \u2028 😀 `;
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
};
const BIG = pattern('big', 300_000);
const HUGE = pattern('huge', 3_000_000);
/** Same length as BIG, different last character: same JSON length, different digest. */
const BIG_TWIN = `${BIG.slice(0, -1)}!`;
/** An emoji straddling the cut: K-1 ASCII characters, then 😀 (one code point, two UTF-16 units). */
const EMOJI_AT_CUT = `${'a'.repeat(K - 1)}😀😀${'b'.repeat(5_000)}`;

function spanValues(): Array<{ kind: string; parent?: number; input: unknown; output: unknown }> {
  return [
    // 0: the root, its input the trace's input (task context leaves it out), its output a huge string.
    { kind: 'AGENT', input: { messages: [{ role: 'user', content: BIG }] }, output: HUGE },
    // 1: the same long text again (back-references), in an object and whole.
    {
      kind: 'LLM',
      parent: 0,
      input: {
        messages: [
          { role: 'system', content: BIG },
          { role: 'user', content: 'hi' },
        ],
      },
      output: BIG,
    },
    // 2: tool calls with huge arguments (OpenAI, Anthropic, legacy function_call): listed whole.
    {
      kind: 'LLM',
      parent: 0,
      input: {
        messages: [
          { role: 'user', content: pattern('ask', 10_000) },
          {
            role: 'assistant',
            tool_calls: [
              {
                id: 'c1',
                type: 'function',
                function: { name: 'search', arguments: JSON.stringify({ q: pattern('args', 9_000) }) },
              },
            ],
          },
          { role: 'tool', content: pattern('result', 50_000) },
        ],
      },
      output: {
        content: [
          { type: 'tool_use', name: 'fetch', input: { url: pattern('url', 6_000) } },
          { type: 'text', text: pattern('txt', 7_000) },
        ],
        function_call: { name: 'legacy', arguments: pattern('legacy', 8_000) },
      },
    },
    // 3: a TOOL span (args), marker-like keys, integer-like keys, numbers, nested arrays, empties.
    {
      kind: 'TOOL',
      parent: 0,
      input: {
        '\u0001cut': pattern('m1', 5_000),
        '\u0001obj': { '\u0001cut': 'short', n: 1 },
        '10': 'ten',
        '2': [1.5, 1e21, -0, true, null, {}, []],
        z: [[pattern('deep', 4_500)]],
      },
      output: ['o'.repeat(K + 1), pattern('o2', 4_096), 'x'.repeat(K), 'y'.repeat(K + 1), EMOJI_AT_CUT],
    },
    // 4: a root of its own (parent not in the trace): same length as the trace input's text, other digest.
    {
      kind: 'CHAIN',
      parent: -1,
      input: { messages: [{ role: 'user', content: BIG_TWIN }] },
      output: { answer: BIG_TWIN },
    },
    // 5: many small values (walked, nothing cut), and an error.
    { kind: 'RETRIEVER', parent: 0, input: Array.from({ length: 3_000 }, (_, i) => `doc ${i}`), output: null },
  ];
}

describe('span values loaded cut render as loaded whole', () => {
  let t: TestApp;
  let tenant: Tenant;
  let cut: TracesForJudging;
  let whole: TracesForJudging;
  const ids: string[] = [];
  const session = `sess-${randomUUID()}`;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t);
    cut = new TracesForJudging(t.dataSource, t.config);
    // Cut at a billion characters: nothing is cut, the values come whole.
    whole = new TracesForJudging(t.dataSource, loadConfig({ ...TEST_ENV, JUDGE_RENDER_FIELD_CHARS: '1000000000' }));
    for (let n = 0; n < 2; n++) {
      const values = spanValues();
      const spans = values.map((v, i) =>
        buildSpan({ kind: v.kind, name: `s${i}`, started_at: at(10 + i), ended_at: at(20 + i) }),
      );
      values.forEach((v, i) => {
        if (v.parent !== undefined) spans[i].parent_span_id = v.parent < 0 ? randomUUID() : spans[v.parent].span_id;
        else delete spans[i].parent_span_id;
      });
      spans[5].error = pattern('error', 3_000);
      const trace = buildTrace({
        session_id: session,
        started_at: at(n * 5_000),
        ended_at: at(n * 5_000 + 1_000),
        spans,
      });
      const res = await t.http.post('/traces').set(tenant.headers).send(trace);
      expect(res.status).toBe(202);
      ids.push(trace.trace_id);
      for (let wait = 0; ; wait++) {
        const [{ n: count }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM spans WHERE trace_id = $1`, [
          trace.trace_id,
        ]);
        if (count === spans.length) break;
        if (wait > 200) throw new Error('trace not written');
        await new Promise((r) => setTimeout(r, 100));
      }
      // Set the values in SQL: what JSON over HTTP could not carry (1e400) and exactly these texts.
      await t.dataSource.query(`UPDATE traces SET input = $2::jsonb, output = $3::jsonb WHERE trace_id = $1`, [
        trace.trace_id,
        JSON.stringify({ messages: [{ role: 'user', content: BIG }] }),
        JSON.stringify(BIG),
      ]);
      for (const [i, v] of values.entries()) {
        const input = i === 3 ? JSON.stringify(v.input).replace('1e+21', '1e400') : JSON.stringify(v.input);
        await t.dataSource.query(
          `UPDATE spans SET input = $3::jsonb, output = $4::jsonb WHERE trace_id = $1 AND span_id = $2`,
          [trace.trace_id, spans[i].span_id, input, v.output === null ? null : JSON.stringify(v.output)],
        );
      }
    }
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  const budgets: RenderBudget[] = [
    t0(),
    { fieldChars: 50, totalChars: 500 },
    { fieldChars: 300, totalChars: 4_000 },
    { fieldChars: K, totalChars: 1_000_000 },
  ];
  function t0(): RenderBudget {
    return { fieldChars: 2_000, totalChars: 40_000 };
  }
  const template = parseTemplate(
    'T: {{trace}}\nS: {{spans}}\nL: {{spans kind=LLM,TOOL}}\nN: {{spans name=s3}}\nI: {{input}}\nO: {{output}}\nM: {{metadata.a}}',
  );

  function renderings(views: TraceView[]) {
    return views.flatMap((v) =>
      budgets.map((b) => ({
        trace: renderTrace(v, b),
        task: renderTaskContext(v, b),
        template: renderTemplate(template, { trace: v, history: [] }, b),
      })),
    );
  }

  function cutStrings(v: unknown): CutString[] {
    if (v instanceof CutString) return [v];
    if (Array.isArray(v)) return v.flatMap(cutStrings);
    if (v && typeof v === 'object') return Object.values(v).flatMap(cutStrings);
    return [];
  }

  it('byIds: the same renderings, from values a fraction of the size', async () => {
    const [c, w] = [await cut.byIds(tenant.projectId, ids), await whole.byIds(tenant.projectId, ids)];
    expect(c.map((x) => x.trace_id)).toEqual(w.map((x) => x.trace_id));
    expect(renderings(c)).toEqual(renderings(w));

    const spanStrings = (views: TraceView[]) =>
      views.flatMap((v) => v.spans.flatMap((s) => cutStrings([s.input, s.output])));
    expect(cutStrings(w.map((v) => v.spans.map((s) => [s.input, s.output])))).toEqual([]);
    const cuts = spanStrings(c);
    expect(cuts.length).toBeGreaterThan(10);
    for (const s of cuts) expect(s.head.length).toBeGreaterThanOrEqual(K);
    // What was not cut: tool calls, strings of K characters or fewer.
    const [first] = c;
    expect((first.spans[2].input as { messages: Array<{ tool_calls?: unknown }> }).messages[1].tool_calls).toEqual(
      (w[0].spans[2].input as { messages: Array<{ tool_calls?: unknown }> }).messages[1].tool_calls,
    );
    expect((first.spans[3].output as unknown[]).slice(0, 4).map((x) => x instanceof CutString)).toEqual([
      true,
      false,
      false,
      true,
    ]);
    const size = (views: TraceView[]) =>
      views.reduce((n, v) => n + JSON.stringify(v.spans, (_k, x) => (x instanceof CutString ? x.head : x)).length, 0);
    expect(size(c) * 20).toBeLessThan(size(w));
    expect(DIGEST_KEY_CHARS).toBeLessThanOrEqual(K);
  }, 120_000);

  it('bySessions: the same renderings', async () => {
    const [c, w] = [
      await cut.bySessions(tenant.projectId, [session]),
      await whole.bySessions(tenant.projectId, [session]),
    ];
    expect(c).toHaveLength(2);
    expect(renderings(c)).toEqual(renderings(w));
  }, 120_000);
});
