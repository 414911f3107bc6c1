/**
 * Judge prompt size: our compact rendering vs pasting the whole trace JSON into every prompt
 * (what the original does). Prints prompt tokens per metric for each sample trace.
 *
 *   npm run build:tools && npm exec -- node dist/bench/judge-tokens/run.js [fixtures dir]
 *
 * Tokens are estimated as characters / 4 (the same rule the scripted judge server uses for its
 * usage counts). Each metric is counted as if evaluated alone (its hidden task/plan extractions
 * included); the "all 8" line is one evaluation of every metric on the trace, where we share the
 * task and plan extractions and the original repeats them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/env';
import { JUDGE_SYSTEM_PROMPT } from '../../src/modules/judge/judge.service';
import { ALL_METRICS } from '../../src/modules/metrics/definitions';
import { renderTaskContext, renderTrace } from '../../src/modules/metrics/render/render-trace';
import type { SpanView, TraceView } from '../../src/modules/metrics/types/trace-view';

type Raw = Record<string, any>;

const TRACE = '\u0000TRACE\u0000';
const TASK = '\u0000TASK\u0000';
const tokens = (chars: number) => Math.ceil(chars / 4);

function loadTraces(dir: string | undefined): { label: string; raw: Raw }[] {
  if (dir && existsSync(dir) && statSync(dir).isDirectory()) {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    const traces: { label: string; raw: Raw }[] = [];
    const extraSpans: Raw[][] = [];
    for (const f of files) {
      const data = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      if (Array.isArray(data)) extraSpans.push(data);
      else traces.push({ label: f.replace(/\.json$/, ''), raw: data });
    }
    // Span batches (POST /traces/{id}/spans) join the trace their parents belong to.
    for (const batch of extraSpans) {
      const owner = traces.find((t) =>
        (t.raw.spans ?? []).some((s: Raw) => batch.some((b) => b.parent_span_id === s.span_id)),
      );
      if (owner) owner.raw = { ...owner.raw, spans: [...owner.raw.spans, ...batch] };
    }
    if (traces.length) return traces;
  }
  return factoryTraces();
}

/** Used when no fixtures folder is available: a few synthetic agent runs. */
function factoryTraces(): { label: string; raw: Raw }[] {
  const make = (name: string, toolCount: number, outputChars: number): Raw => {
    const spans: Raw[] = [
      {
        span_id: `${name}-root`,
        parent_span_id: null,
        name: 'agent',
        kind: 'AGENT',
        status: 'OK',
        input: { question: `Please handle ${name}` },
        output: { answer: 'done '.repeat(20) },
        metadata: { framework: 'demo' },
        started_at: '2026-01-01T00:00:00Z',
        ended_at: '2026-01-01T00:00:09Z',
      },
    ];
    for (let i = 0; i < toolCount; i++) {
      spans.push({
        span_id: `${name}-llm-${i}`,
        parent_span_id: `${name}-root`,
        name: 'plan-step',
        kind: 'LLM',
        model: 'gpt-4o',
        status: 'OK',
        input: {
          messages: [
            { role: 'system', content: 'You are a helpful agent. '.repeat(20) },
            { role: 'user', content: `step ${i}` },
          ],
        },
        output: {
          role: 'assistant',
          tool_calls: [
            {
              id: `c${i}`,
              type: 'function',
              function: { name: 'search', arguments: JSON.stringify({ q: `item ${i}` }) },
            },
          ],
        },
        metadata: { temperature: 0 },
        token_usage: { prompt_tokens: 300, completion_tokens: 40 },
        started_at: `2026-01-01T00:00:0${i % 9}Z`,
        ended_at: null,
      });
      spans.push({
        span_id: `${name}-tool-${i}`,
        parent_span_id: `${name}-root`,
        name: 'search',
        kind: 'TOOL',
        status: 'OK',
        input: { q: `item ${i}` },
        output: { results: 'x'.repeat(outputChars) },
        metadata: { latency_ms: 120 },
        started_at: `2026-01-01T00:00:0${i % 9}Z`,
        ended_at: null,
      });
    }
    return {
      trace_id: `${name}-id`,
      name,
      status: 'COMPLETED',
      input: { question: `Please handle ${name}` },
      output: { answer: 'done' },
      metadata: { sdk: 'demo' },
      started_at: '2026-01-01T00:00:00Z',
      ended_at: '2026-01-01T00:00:09Z',
      session_id: null,
      user_id: null,
      tags: ['demo'],
      environment: 'dev',
      release: null,
      spans,
    };
  };
  return [
    { label: 'factory-small', raw: make('small', 2, 300) },
    { label: 'factory-medium', raw: make('medium', 8, 2_000) },
    { label: 'factory-large', raw: make('large', 30, 8_000) },
  ];
}

function toTraceView(raw: Raw): TraceView {
  const spans: SpanView[] = (raw.spans ?? []).map((s: Raw) => ({
    span_id: s.span_id,
    parent_span_id: s.parent_span_id ?? null,
    name: s.name ?? '',
    kind: s.kind ?? 'OTHER',
    status: s.status ?? 'UNSET',
    input: s.input ?? null,
    output: s.output ?? null,
    model: s.model ?? null,
    error: s.error ?? null,
    metadata: s.metadata ?? {},
    started_at: s.started_at ?? '',
    ended_at: s.ended_at ?? null,
    token_usage: s.token_usage ?? null,
  }));
  return {
    trace_id: raw.trace_id,
    name: raw.name ?? '',
    status: raw.status ?? 'COMPLETED',
    input: raw.input ?? null,
    output: raw.output ?? null,
    metadata: raw.metadata ?? {},
    session_id: raw.session_id ?? null,
    user_id: raw.user_id ?? null,
    tags: raw.tags ?? [],
    environment: raw.environment ?? null,
    started_at: raw.started_at ?? '',
    ended_at: raw.ended_at ?? null,
    spans,
  };
}

/** The original's dump: every trace field and every span field, spans flat by start time, indent 2. */
function originalDump(raw: Raw): string {
  const spanFields = [
    'span_id',
    'trace_id',
    'parent_span_id',
    'name',
    'kind',
    'status',
    'input',
    'output',
    'model',
    'token_usage',
    'metadata',
    'started_at',
    'ended_at',
    'error',
    'completion_start_time',
    'model_parameters',
    'cost',
  ];
  const spans = [...(raw.spans ?? [])]
    .sort(
      (a: Raw, b: Raw) =>
        String(a.started_at).localeCompare(String(b.started_at)) || String(a.span_id).localeCompare(String(b.span_id)),
    )
    .map((s: Raw) => Object.fromEntries(spanFields.map((f) => [f, f === 'trace_id' ? raw.trace_id : (s[f] ?? null)])));
  const trace = {
    trace_id: raw.trace_id,
    project_id: '00000000-0000-4000-8000-000000000000',
    name: raw.name,
    status: raw.status,
    input: raw.input ?? null,
    output: raw.output ?? null,
    metadata: raw.metadata ?? {},
    started_at: raw.started_at,
    ended_at: raw.ended_at ?? null,
    session_id: raw.session_id ?? null,
    user_id: raw.user_id ?? null,
    tags: raw.tags ?? [],
    environment: raw.environment ?? null,
    release: raw.release ?? null,
    spans,
  };
  return JSON.stringify(trace, null, 2);
}

// The chat calls each metric makes when evaluated alone, as [metric whose preview holds it, stage].
const CALLS: Record<string, [string, string][]> = {
  task_completion: [
    ['task_completion', 'extract'],
    ['task_completion', 'score'],
  ],
  tool_correctness: [
    ['tool_correctness', 'extract'],
    ['tool_correctness', 'score'],
  ],
  argument_correctness: [
    ['argument_correctness', 'extract'],
    ['argument_correctness', 'verdicts'],
    ['argument_correctness', 'reason'],
  ],
  step_efficiency: [
    ['step_efficiency', 'extract_task'],
    ['step_efficiency', 'score'],
  ],
  plan_adherence: [
    ['step_efficiency', 'extract_task'],
    ['plan_adherence', 'extract_plan'],
    ['plan_adherence', 'score'],
  ],
  plan_quality: [
    ['step_efficiency', 'extract_task'],
    ['plan_adherence', 'extract_plan'],
    ['plan_quality', 'score'],
  ],
  confidence: [['confidence', 'evaluate']],
};

function main() {
  const dir = process.argv[2] ?? resolve(process.cwd(), '../shared/fixtures/traces');
  const config = loadConfig();
  const budget = config.judge.render;
  const templates = new Map<string, string>();
  for (const def of ALL_METRICS) {
    for (const p of def.previewPrompts({ rendered: TRACE, taskContext: TASK }))
      templates.set(`${def.name}.${p.stage}`, p.prompt);
  }
  const fill = (template: string, trace: string, task: string) =>
    template.split(TRACE).join(trace).split(TASK).join(task);
  const promptTokens = (text: string) => tokens(JUDGE_SYSTEM_PROMPT.length + text.length);

  const traces = loadTraces(dir);
  console.log(
    `Judge prompt tokens (chars/4), budgets: field ${budget.fieldChars} chars, total ${budget.totalChars} chars`,
  );
  console.log(`Traces: ${traces.length} from ${traces[0]?.label.startsWith('factory') ? 'factories' : dir}\n`);
  const header = ['trace', 'metric', 'ours', 'original', 'ratio'];
  const rows: string[][] = [];
  let sumOurs = 0;
  let sumOrig = 0;
  for (const { label, raw } of traces) {
    const view = toTraceView(raw);
    const rendered = renderTrace(view, budget).text;
    const taskCtx = renderTaskContext(view, budget);
    const dump = originalDump(raw);
    const uniqueOurs = new Map<string, number>();
    let allOrig = 0;
    for (const [metric, calls] of Object.entries(CALLS)) {
      let ours = 0;
      let orig = 0;
      for (const [owner, stage] of calls) {
        const template = templates.get(`${owner}.${stage}`)!;
        const o = promptTokens(fill(template, rendered, taskCtx));
        ours += o;
        uniqueOurs.set(`${owner}.${stage}`, o);
        orig += promptTokens(fill(template, dump, dump));
      }
      allOrig += orig;
      rows.push([label, metric, String(ours), String(orig), (ours / orig).toFixed(2)]);
    }
    rows.push([label, 'coherence', '0 (embeddings)', '0 (embeddings)', '-']);
    const allOurs = [...uniqueOurs.values()].reduce((a, b) => a + b, 0);
    rows.push([label, 'ALL 8 (one evaluation)', String(allOurs), String(allOrig), (allOurs / allOrig).toFixed(2)]);
    sumOurs += allOurs;
    sumOrig += allOrig;
  }
  rows.push(['TOTAL', 'all traces × all metrics', String(sumOurs), String(sumOrig), (sumOurs / sumOrig).toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

main();
