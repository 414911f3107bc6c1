import {
  byStart,
  RepeatIndex,
  renderTrace,
  spanFields,
  spanHeader,
  truncate,
  valueText,
  waterFill,
  type RenderBudget,
} from '../../metrics/render/render-trace';
import type { SpanView, TraceView } from '../../metrics/types/trace-view';
import type { Placeholder, TemplatePart } from './template';

/** What a template is rendered from: the trace, and the session's earlier turns (oldest first). */
export interface TemplateInput {
  trace: TraceView;
  history: readonly Pick<TraceView, 'input' | 'output' | 'started_at'>[];
}

export interface RenderedTemplate {
  text: string;
  /** Characters of trace content left out to fit the budget. */
  charsCut: number;
}

/**
 * Fills a parsed template. The budget is shared evenly between the placeholders (each gets
 * totalChars / n, values capped at fieldChars inside span lists), so a prompt never grows past the
 * same budget as the built-in metrics' rendering, whatever the trace holds.
 */
export function renderTemplate(parts: TemplatePart[], input: TemplateInput, budget: RenderBudget): RenderedTemplate {
  const placeholders = parts.filter((p): p is Placeholder => typeof p !== 'string').length;
  const share = Math.max(1, Math.floor(budget.totalChars / Math.max(1, placeholders)));
  let charsCut = 0;
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const out = renderPlaceholder(part, input, { fieldChars: Math.min(budget.fieldChars, share), totalChars: share });
      charsCut += out.charsCut;
      return out.text;
    })
    .join('');
  return { text, charsCut };
}

function renderPlaceholder(p: Placeholder, { trace, history }: TemplateInput, budget: RenderBudget): RenderedTemplate {
  switch (p.kind) {
    case 'input':
    case 'output':
      return value(trace[p.kind], budget.totalChars);
    case 'metadata':
      return value(lookup(trace.metadata, p.path), budget.totalChars);
    case 'trace': {
      const r = renderTrace(trace, budget);
      return { text: r.text, charsCut: r.charsCut };
    }
    case 'spans':
      return renderSpans(selectSpans(trace.spans, p.spanKinds, p.names), budget);
    case 'session_history':
      return renderHistory(history.slice(-p.turns), budget);
  }
}

function value(v: unknown, max: number): RenderedTemplate {
  const t = truncate(valueText(v) || '(none)', max);
  return { text: t.text, charsCut: t.cut };
}

/** A dotted path into an object; arrays are not indexed (paths are names, checked at save time). */
function lookup(root: unknown, path: string[]): unknown {
  let at: unknown = root;
  for (const key of path) {
    if (!at || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

export function selectSpans(spans: SpanView[], kinds: string[] | null, names: string[] | null): SpanView[] {
  return spans
    .filter((s) => (!kinds || kinds.includes((s.kind ?? '').toUpperCase())) && (!names || names.includes(s.name)))
    .sort(byStart);
}

/** Selected spans in start order, one line each plus their values, shortened to share the budget. */
function renderSpans(spans: SpanView[], budget: RenderBudget): RenderedTemplate {
  if (!spans.length) return { text: '(no matching spans)', charsCut: 0 };
  const seen = new RepeatIndex();
  const nodes = spans.map((span) => ({ header: spanHeader(span, 0), fields: spanFields(span, seen) }));
  const structure = nodes.reduce(
    (n, s) => n + s.header.length + 1 + s.fields.reduce((m, f) => m + f.label.length + 5, 0),
    0,
  );
  const values = nodes.flatMap((s) => s.fields.map((f) => f.value.length));
  const cap = waterFill(values, Math.max(0, budget.totalChars - structure - 80), budget.fieldChars);
  let charsCut = 0;
  const lines: string[] = [];
  let length = 0;
  let shown = 0;
  for (const node of nodes) {
    const block = [node.header, ...node.fields.map((f) => `  ${f.label}: ${truncate(f.value, cap).text}`)];
    const blockLength = block.reduce((n, l) => n + l.length + 1, 0);
    if (length + blockLength > budget.totalChars - 80) break;
    charsCut += node.fields.reduce((n, f) => n + Math.max(0, f.value.length - cap), 0);
    lines.push(...block);
    length += blockLength;
    shown++;
  }
  for (const rest of nodes.slice(shown)) charsCut += rest.fields.reduce((n, f) => n + f.value.length, 0);
  if (shown < nodes.length)
    lines.push(`[${nodes.length - shown} of ${nodes.length} span(s) left out to fit the budget]`);
  return { text: lines.join('\n'), charsCut };
}

function renderHistory(turns: TemplateInput['history'], budget: RenderBudget): RenderedTemplate {
  if (!turns.length) return { text: '(no earlier turns in this session)', charsCut: 0 };
  const each = Math.max(40, Math.floor(budget.totalChars / (turns.length * 2)) - 20);
  let charsCut = 0;
  const lines = turns.flatMap((turn, i) => {
    const input = truncate(valueText(turn.input) || '(none)', Math.min(each, budget.fieldChars));
    const output = truncate(valueText(turn.output) || '(none)', Math.min(each, budget.fieldChars));
    charsCut += input.cut + output.cut;
    return [`Turn ${i + 1} input: ${input.text}`, `Turn ${i + 1} output: ${output.text}`];
  });
  return { text: lines.join('\n'), charsCut };
}
