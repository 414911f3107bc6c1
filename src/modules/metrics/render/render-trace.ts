import { CutString, textKey, type SpanView, type TraceView } from '../types/trace-view';

export interface RenderBudget {
  /** Most characters one value (an input, output, error, tool-call list) may take. */
  fieldChars: number;
  /** Most characters the whole rendering may take. */
  totalChars: number;
}

export interface RenderedTrace {
  text: string;
  spansTotal: number;
  spansRendered: number;
  /** Values shortened to fit a budget. */
  fieldsTruncated: number;
  /** Characters of values left out, across all truncations and omitted spans. */
  charsCut: number;
}

/** A value never gets less than this when budgets are shared out. */
const MIN_FIELD_CHARS = 80;
const QUIET_STATUSES = new Set(['OK', 'UNSET', 'COMPLETED', '']);

/**
 * The text of a value holding cut strings (a span value loaded for judging, `CutString`): its first
 * characters exactly as the whole value's text (at least as many as a cut string's head, more than
 * the judge is ever shown of a value) and the whole text's length.
 */
export interface LongText {
  head: string;
  length: number;
}

/** A value's text: whole, or its head and length (LongText). */
export type ValueText = string | LongText;

export interface Field {
  label: string;
  value: ValueText;
}

interface Node {
  span: SpanView;
  depth: number;
  orphan: boolean;
  header: string;
  fields: Field[];
}

/** Strings are quoted (so multi-line text stays on one line); anything else is compact JSON. */
export function valueText(value: unknown, seen?: RepeatIndex, where?: string): string {
  const text = valueTextOf(value, seen, where);
  if (typeof text !== 'string') throw new Error('valueText: a value with cut strings (use valueTextOf)');
  return text;
}

/** Stands for the i-th cut string while JSON.stringify writes the rest (no loaded string holds U+0000). */
const cutToken = (i: number) => JSON.stringify(`\u0000${i}\u0001`);

/**
 * valueText of a value that may hold cut strings (a span's input or output as loaded for judging):
 * the same text when it holds none, else the same text's head and length (LongText), computed from
 * the cut strings' heads and JSON lengths. Back-references (`seen`) are the same: a cut string is
 * identified by its digest, as a whole string that long is (`textKey`).
 */
export function valueTextOf(value: unknown, seen?: RepeatIndex, where?: string): ValueText {
  if (value === undefined || value === null) return '';
  if (seen && where) {
    const whole = seen.check(value, where);
    if (whole) return whole;
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof CutString) return { head: JSON.stringify(value.head).slice(0, -1), length: value.jsonLength };
  const cuts: CutString[] = [];
  let text: string;
  try {
    text =
      JSON.stringify(value, (_k, v) => {
        if (typeof v === 'bigint') return v.toString();
        if (seen && where && typeof v === 'string') return seen.check(v, where) ?? v;
        if (v instanceof CutString) {
          const back = seen && where ? seen.check(v, where) : undefined;
          if (back !== undefined) return back;
          cuts.push(v);
          return `\u0000${cuts.length - 1}\u0001`;
        }
        return v;
      }) ?? '';
  } catch {
    return JSON.stringify(String(value));
  }
  if (cuts.length === 0) return text;
  const first = text.indexOf(cutToken(0));
  const length = cuts.reduce((n, c, i) => n + c.jsonLength - cutToken(i).length, text.length);
  return { head: text.slice(0, first) + JSON.stringify(cuts[0].head).slice(0, -1), length };
}

/** Long text repeated across the trace (the query in every prompt, the answer in the trace output) is shown once. */
const REPEAT_MIN_CHARS = 60;

export class RepeatIndex {
  private readonly firstSeen = new Map<string, string>();

  /** A short back-reference when this long string was already shown, else undefined (and remembers it). */
  check(value: unknown, where: string): string | undefined {
    // A cut string is always far longer than REPEAT_MIN_CHARS; it matches the same string whole.
    if (!(value instanceof CutString) && (typeof value !== 'string' || value.length < REPEAT_MIN_CHARS)) {
      return undefined;
    }
    const key = textKey(value);
    const earlier = this.firstSeen.get(key);
    if (earlier) return `[same text as ${earlier}]`;
    this.firstSeen.set(key, where);
    return undefined;
  }
}

export function truncate(text: ValueText, max: number): { text: string; cut: number } {
  const body = typeof text === 'string' ? text : text.head;
  // A LongText is longer than any value budget; its head is longer than the judge is shown of it.
  if (body.length < Math.min(max, text.length)) throw new Error(`truncate: ${max} chars asked of a cut value`);
  if (text.length <= max) return { text: body, cut: 0 };
  const cut = text.length - max;
  return { text: `${body.slice(0, max)}…[+${cut} chars]`, cut };
}

/** Tool calls an LLM span asked for, found in OpenAI/Anthropic-style payloads, as `name(args)`. */
export function findToolCalls(value: unknown, depth = 0, out: string[] = []): string[] {
  // A cut string is a string (never searched); tool calls themselves are never cut (judge_cut).
  if (value instanceof CutString) return out;
  if (!value || typeof value !== 'object' || depth > 5 || out.length >= 20) return out;
  if (Array.isArray(value)) {
    for (const item of value) findToolCalls(item, depth + 1, out);
    return out;
  }
  const obj = value as Record<string, unknown>;
  const asCall = (c: unknown) => {
    if (!c || typeof c !== 'object') return;
    type CallShape = { name?: unknown; arguments?: unknown; args?: unknown; input?: unknown; function?: unknown };
    const call = c as CallShape;
    const fn = (call.function && typeof call.function === 'object' ? call.function : call) as CallShape;
    const name = fn.name ?? call.name;
    if (typeof name !== 'string') return;
    const args = fn.arguments ?? fn.args ?? call.input ?? call.arguments ?? call.args;
    out.push(`${name}(${typeof args === 'string' ? args : valueText(args ?? {})})`);
  };
  if (Array.isArray(obj.tool_calls)) obj.tool_calls.forEach(asCall);
  if (obj.function_call) asCall(obj.function_call);
  if (obj.type === 'tool_use' || obj.type === 'tool-call') asCall(obj);
  for (const [k, v] of Object.entries(obj)) {
    if (k !== 'tool_calls' && k !== 'function_call' && v && typeof v === 'object') findToolCalls(v, depth + 1, out);
  }
  return out;
}

export function byStart(a: SpanView, b: SpanView): number {
  return a.started_at < b.started_at
    ? -1
    : a.started_at > b.started_at
      ? 1
      : a.span_id < b.span_id
        ? -1
        : a.span_id > b.span_id
          ? 1
          : 0;
}

/** Depth-first order of the span tree; spans whose parent is missing (or in a cycle) become roots. */
export function orderSpans(spans: SpanView[]): { span: SpanView; depth: number; orphan: boolean }[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, SpanView[]>();
  const roots: SpanView[] = [];
  for (const span of spans) {
    const parent = span.parent_span_id;
    if (parent && ids.has(parent) && parent !== span.span_id) {
      const list = children.get(parent) ?? [];
      list.push(span);
      children.set(parent, list);
    } else {
      roots.push(span);
    }
  }
  const out: { span: SpanView; depth: number; orphan: boolean }[] = [];
  const seen = new Set<string>();
  const visit = (span: SpanView, depth: number, orphan: boolean) => {
    // Iterative DFS: deep traces must not blow the stack.
    const stack: [SpanView, number, boolean][] = [[span, depth, orphan]];
    while (stack.length) {
      const [s, d, o] = stack.pop()!;
      if (seen.has(s.span_id)) continue;
      seen.add(s.span_id);
      out.push({ span: s, depth: d, orphan: o });
      const kids = (children.get(s.span_id) ?? []).slice().sort(byStart);
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], d + 1, false]);
    }
  };
  for (const root of roots.slice().sort(byStart)) visit(root, 0, Boolean(root.parent_span_id));
  // Whatever is left sits in a parent cycle: render it from the earliest span.
  for (const span of spans.slice().sort(byStart)) if (!seen.has(span.span_id)) visit(span, 0, true);
  return out;
}

/** A span's line: kind, name, a status that is not OK, the model; indented by depth. */
export function spanHeader(span: SpanView, depth: number, orphan = false): string {
  const status = QUIET_STATUSES.has((span.status ?? '').toUpperCase()) ? '' : ` [${span.status}]`;
  const model = span.model ? ` model=${span.model}` : '';
  return `${'  '.repeat(depth)}- ${span.kind} ${JSON.stringify(span.name)}${status}${model}${orphan ? ' (parent not in trace)' : ''}`;
}

/** The labelled values of one span (input or args, tool calls, output, error); shared with custom metric templates. */
export function spanFields(span: SpanView, seen: RepeatIndex): Field[] {
  const fields: Field[] = [];
  const where = (field: string) => `${JSON.stringify(span.name)} ${field}`;
  const input = valueTextOf(span.input, seen, where('input'));
  if (input) fields.push({ label: span.kind === 'TOOL' ? 'args' : 'input', value: input });
  if (span.kind !== 'TOOL') {
    const calls = [...findToolCalls(span.input), ...findToolCalls(span.output)];
    if (calls.length) fields.push({ label: 'tool calls', value: [...new Set(calls)].join('; ') });
  }
  const output = valueTextOf(span.output, seen, where('output'));
  if (output) fields.push({ label: 'output', value: output });
  if (span.error) fields.push({ label: 'error', value: span.error });
  return fields;
}

/**
 * The largest per-value cap c (MIN_FIELD_CHARS ≤ c ≤ fieldChars) such that all values, each cut
 * to c, fit in `budget` characters: short values keep their full text, long ones share the rest.
 */
export function waterFill(lengths: number[], budget: number, maxCap: number): number {
  const total = (cap: number) => lengths.reduce((n, len) => n + Math.min(len, cap), 0);
  if (total(maxCap) <= budget) return maxCap;
  let lo = MIN_FIELD_CHARS;
  let hi = maxCap;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (total(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Renders a trace for the judge: a header with the trace's input and output, then the span tree
 * (kind, name, non-OK status, model, input/args, tool calls, output, error), values shortened to
 * share the budgets, and a last line saying what was cut.
 */
export function renderTrace(trace: TraceView, budget: RenderBudget): RenderedTrace {
  const ordered = orderSpans(trace.spans ?? []);
  const seen = new RepeatIndex();
  const traceFields: Field[] = [
    { label: 'Input', value: valueText(trace.input, seen, 'the trace input') || '(none)' },
    { label: 'Output', value: valueText(trace.output, seen, 'the trace output') || '(none)' },
  ];
  const nodes: Node[] = ordered.map(({ span, depth, orphan }) => ({
    span,
    depth,
    orphan,
    header: spanHeader(span, depth, orphan),
    fields: spanFields(span, seen),
  }));

  const head = [`Trace ${JSON.stringify(trace.name)} (status ${trace.status})`];
  const spansTitle = nodes.length
    ? `Spans (${nodes.length}, children indented under their parent; status shown only when not OK):`
    : 'Spans: none recorded.';

  // Share the value budget out over every value, after the fixed structure is paid for.
  const structure =
    head[0].length +
    spansTitle.length +
    200 +
    traceFields.reduce((n, f) => n + f.label.length + 3, 0) +
    nodes.reduce(
      (n, node) =>
        n + node.header.length + 1 + node.fields.reduce((m, f) => m + node.depth * 2 + f.label.length + 6, 0),
      0,
    );
  const allValues = [...traceFields, ...nodes.flatMap((n) => n.fields)];
  const cap = waterFill(
    allValues.map((f) => f.value.length),
    Math.max(0, budget.totalChars - structure),
    budget.fieldChars,
  );

  let fieldsTruncated = 0;
  let charsCut = 0;
  const cutField = (f: Field) => {
    const t = truncate(f.value, cap);
    if (t.cut) {
      fieldsTruncated++;
      charsCut += t.cut;
    }
    return t.text;
  };

  const lines: string[] = [...head, ...traceFields.map((f) => `${f.label}: ${cutField(f)}`), spansTitle];
  let length = lines.reduce((n, l) => n + l.length + 1, 0);
  const footerReserve = 120;
  let rendered = 0;
  for (const node of nodes) {
    const pad = '  '.repeat(node.depth + 1);
    const block = [node.header, ...node.fields.map((f) => `${pad}${f.label}: ${cutField(f)}`)];
    const blockLength = block.reduce((n, l) => n + l.length + 1, 0);
    if (length + blockLength > budget.totalChars - footerReserve) {
      // Count what the rest would have shown, then stop.
      for (const rest of nodes.slice(rendered)) charsCut += rest.fields.reduce((n, f) => n + f.value.length, 0);
      break;
    }
    lines.push(...block);
    length += blockLength;
    rendered++;
  }
  if (rendered < nodes.length || fieldsTruncated > 0) {
    const omitted = nodes.length - rendered;
    lines.push(
      `[rendering shortened to fit the judge's budget: ${fieldsTruncated} value(s) truncated` +
        (omitted ? `, ${omitted} of ${nodes.length} span(s) omitted` : '') +
        `, ${charsCut} chars cut]`,
    );
  }
  return { text: lines.join('\n'), spansTotal: nodes.length, spansRendered: rendered, fieldsTruncated, charsCut };
}

/**
 * What the user asked for, without the rest of the trace: the trace input and, when it adds
 * something, the input of the root span(s). Enough to extract the task; far shorter than the tree.
 */
export function renderTaskContext(trace: TraceView, budget: RenderBudget): string {
  const lines = [`Trace ${JSON.stringify(trace.name)}`];
  const traceInput = valueText(trace.input);
  lines.push(`Input: ${truncate(traceInput || '(none)', budget.fieldChars).text}`);
  const roots = orderSpans(trace.spans ?? [])
    .filter((n) => n.depth === 0)
    .slice(0, 3);
  for (const { span } of roots) {
    const input = valueTextOf(span.input);
    if (input && !sameText(input, span.input, traceInput, trace.input)) {
      lines.push(
        `Input of root span ${span.kind} ${JSON.stringify(span.name)}: ${truncate(input, budget.fieldChars).text}`,
      );
    }
  }
  return lines.join('\n');
}

/** Whether `text` (valueTextOf `value`, maybe cut) is `wholeText` (valueText `whole`, loaded whole). */
function sameText(text: ValueText, value: unknown, wholeText: string, whole: unknown): boolean {
  if (typeof text === 'string') return text === wholeText;
  return text.length === wholeText.length && sameJson(value, whole);
}

/** Whether two values have the same JSON text, `cut` holding cut strings: compared by length and digest. */
function sameJson(cut: unknown, whole: unknown): boolean {
  if (cut instanceof CutString) {
    return (
      typeof whole === 'string' && JSON.stringify(whole).length === cut.jsonLength && textKey(whole) === textKey(cut)
    );
  }
  if (Array.isArray(cut)) {
    return Array.isArray(whole) && whole.length === cut.length && cut.every((c, i) => sameJson(c, whole[i]));
  }
  if (cut && typeof cut === 'object') {
    if (!whole || typeof whole !== 'object' || Array.isArray(whole)) return false;
    const a = Object.keys(cut);
    const b = Object.keys(whole);
    return (
      a.length === b.length &&
      a.every(
        (k, i) => k === b[i] && sameJson((cut as Record<string, unknown>)[k], (whole as Record<string, unknown>)[k]),
      )
    );
  }
  return JSON.stringify(cut) === JSON.stringify(whole);
}
