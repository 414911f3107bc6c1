import { spanView } from '../../../../test/support/judge-server/trace-views';
import type { TraceView } from '../../metrics/types/trace-view';
import { renderTemplate } from './render-template';
import { MAX_TEMPLATE_CHARS, parseTemplate, TemplateError } from './template';

const span = spanView;

const TRACE: TraceView = {
  trace_id: 't1',
  name: 'refund-turn',
  status: 'COMPLETED',
  input: { messages: [{ role: 'user', content: 'Refund order 77 please' }] },
  output: 'Refunded 20 EUR.',
  metadata: { customer: { tier: 'gold' }, policy: 'v3' },
  session_id: 's1',
  user_id: null,
  tags: [],
  environment: null,
  started_at: '2026-01-01T00:00:00Z',
  ended_at: '2026-01-01T00:00:02Z',
  spans: [
    span({
      span_id: 'c',
      name: 'issue_refund',
      kind: 'TOOL',
      started_at: '2026-01-01T00:00:01.500Z',
      input: { amount: 20 },
      output: 'ok',
    }),
    span({
      span_id: 'a',
      name: 'plan',
      kind: 'LLM',
      started_at: '2026-01-01T00:00:00.100Z',
      model: 'gpt-x',
      output: 'check policy',
    }),
    span({
      span_id: 'b',
      name: 'lookup_order',
      kind: 'TOOL',
      started_at: '2026-01-01T00:00:01.000Z',
      input: { id: 77 },
      output: { total: 20 },
    }),
  ],
};

const BUDGET = { fieldChars: 2000, totalChars: 40_000 };
const render = (template: string, history: TraceView[] = []) =>
  renderTemplate(parseTemplate(template), { trace: TRACE, history }, BUDGET).text;

describe('custom metric templates', () => {
  it('fills input, output and metadata paths', () => {
    expect(render('Q: {{input}}\nA: {{ output }}\nTier: {{metadata.customer.tier}}; none: {{metadata.nope.x}}')).toBe(
      'Q: {"messages":[{"role":"user","content":"Refund order 77 please"}]}\nA: "Refunded 20 EUR."\nTier: "gold"; none: (none)',
    );
  });

  it('selects spans by kind and name, in start order, with the built-in renderer’s lines', () => {
    expect(render('{{spans kind=tool}}')).toBe(
      [
        '- TOOL "lookup_order"',
        '  args: {"id":77}',
        '  output: {"total":20}',
        '- TOOL "issue_refund"',
        '  args: {"amount":20}',
        '  output: "ok"',
      ].join('\n'),
    );
    expect(render('{{spans name="issue_refund"}}')).toContain('issue_refund');
    expect(render('{{spans name=lookup_order,plan}}').split('\n')[0]).toBe('- LLM "plan" model=gpt-x');
    expect(render('{{spans kind=RETRIEVER}}')).toBe('(no matching spans)');
    expect(render('{{trace}}')).toContain('Trace "refund-turn" (status COMPLETED)');
  });

  it('shows the session’s last earlier turns', () => {
    const turn = (n: number): TraceView => ({
      ...TRACE,
      input: `q${n}`,
      output: `a${n}`,
      started_at: `2025-12-3${n}T00:00:00Z`,
    });
    expect(render('{{session_history turns=2}}', [turn(0), turn(1), turn(2)])).toBe(
      'Turn 1 input: "q1"\nTurn 1 output: "a1"\nTurn 2 input: "q2"\nTurn 2 output: "a2"',
    );
    expect(render('{{session_history}}')).toBe('(no earlier turns in this session)');
  });

  it('keeps a huge trace within the budget', () => {
    const huge: TraceView = {
      ...TRACE,
      input: 'x'.repeat(100_000),
      spans: Array.from({ length: 300 }, (_, i) =>
        span({
          span_id: `s${i}`,
          name: `tool${i}`,
          kind: 'TOOL',
          started_at: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
          output: `${i}:${'y'.repeat(5000)}`,
        }),
      ),
    };
    const out = renderTemplate(parseTemplate('{{input}} {{spans}}'), { trace: huge, history: [] }, BUDGET);
    expect(out.text.length).toBeLessThanOrEqual(BUDGET.totalChars + 10);
    expect(out.charsCut).toBeGreaterThan(1_000_000);
    expect(out.text).toMatch(/span\(s\) left out to fit the budget/);
  });

  it.each([
    ['Judge {{answer}}', /unknown variable "answer".*known variables: input, output/],
    ['Judge {{input}', /"\{\{" is not closed/],
    ['{{input {{output}}', /"\{\{" is not closed/],
    ['{{}}', /empty placeholder/],
    ['{{input.text}}', /has no fields/],
    ['{{output kind=TOOL}}', /takes no arguments/],
    ['{{spans kind=ROBOT}}', /unknown span kind "ROBOT"/],
    ['{{spans colour=red}}', /takes kind=… and name=…/],
    ['{{spans kind=TOOL kind=LLM}}', /given twice/],
    ['{{session_history turns=99}}', /turns must be an integer from 1 to 20/],
    ['{{metadata.a-b.$x}}', /bad metadata path/],
    ['no placeholders at all', /shows the judge nothing/],
    ['{{input "x}}', /cannot read/],
  ])('refuses %j', (template, message) => {
    expect(() => parseTemplate(template)).toThrow(TemplateError);
    expect(() => parseTemplate(template)).toThrow(message);
  });

  it('refuses an oversized template and says where', () => {
    expect(() => parseTemplate(`{{input}}${'x'.repeat(MAX_TEMPLATE_CHARS)}`)).toThrow(/at most 20000/);
  });

  it('treats a lone "}}" (JSON in a rubric) as text', () => {
    expect(render('Answer like {"a":{"b":1}} for {{output}}')).toBe('Answer like {"a":{"b":1}} for "Refunded 20 EUR."');
  });
});
