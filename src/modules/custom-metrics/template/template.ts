/**
 * The prompt templates of custom metrics: plain text with `{{ variable }}` placeholders naming the
 * parts of a trace the judge is shown. The language has no expressions, loops or calls, so
 * rendering can never run code; every placeholder is checked when a metric is saved.
 *
 *   {{input}} {{output}}                 the trace's input and output
 *   {{trace}}                            the whole trace, rendered as the built-in metrics see it
 *   {{spans}}                            every span, in start order
 *   {{spans kind=TOOL,LLM name=search}}  the spans of these kinds and/or names (AND of the two)
 *   {{metadata}} {{metadata.a.b}}        the trace metadata, or one path in it
 *   {{session_history turns=5}}          the session's earlier turns (input → output), oldest first
 */

export const MAX_TEMPLATE_CHARS = 20_000;
export const SPAN_KINDS = ['LLM', 'TOOL', 'RETRIEVER', 'EMBEDDING', 'AGENT', 'CHAIN', 'OTHER'] as const;
export const MAX_HISTORY_TURNS = 20;
export const DEFAULT_HISTORY_TURNS = 5;

export type Placeholder =
  | { kind: 'input' | 'output' | 'trace' }
  | { kind: 'spans'; spanKinds: string[] | null; names: string[] | null }
  | { kind: 'metadata'; path: string[] }
  | { kind: 'session_history'; turns: number };

export type TemplatePart = string | Placeholder;

export const TEMPLATE_VARIABLES = ['input', 'output', 'trace', 'spans', 'metadata', 'session_history'] as const;

/** A template that cannot be saved, with what is wrong and where (0-based character offset). */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at character ${position})`);
    this.name = 'TemplateError';
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const ARG = /^([a-z_]+)=("([^"]*)"|[^\s"]+)$/;

/** Splits a template into text and checked placeholders; throws TemplateError on the first problem. */
export function parseTemplate(template: string): TemplatePart[] {
  if (template.length > MAX_TEMPLATE_CHARS) {
    throw new TemplateError(
      `the template has ${template.length} characters; at most ${MAX_TEMPLATE_CHARS}`,
      MAX_TEMPLATE_CHARS,
    );
  }
  const parts: TemplatePart[] = [];
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf('{{', at);
    if (open < 0) {
      parts.push(template.slice(at));
      break;
    }
    if (open > at) parts.push(template.slice(at, open));
    const close = template.indexOf('}}', open + 2);
    const nextOpen = template.indexOf('{{', open + 2);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      throw new TemplateError('unbalanced template: "{{" is not closed by "}}"', open);
    }
    parts.push(parsePlaceholder(template.slice(open + 2, close), open));
    at = close + 2;
  }
  if (!parts.some((p) => typeof p !== 'string')) {
    throw new TemplateError(
      `the template shows the judge nothing of the trace: use at least one of ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
      0,
    );
  }
  return parts;
}

function parsePlaceholder(body: string, position: number): Placeholder {
  const [head, ...args] = tokens(body, position);
  if (!head) throw new TemplateError('empty placeholder "{{}}"', position);
  const [variable, ...path] = head.split('.');
  const known = () => `; known variables: ${TEMPLATE_VARIABLES.join(', ')}`;
  switch (variable) {
    case 'input':
    case 'output':
    case 'trace':
      noPath(variable, path, position);
      noArgs(variable, args, position);
      return { kind: variable };
    case 'metadata':
      if (path.some((p) => !IDENT.test(p))) throw new TemplateError(`bad metadata path "${head}"`, position);
      noArgs(variable, args, position);
      return { kind: 'metadata', path };
    case 'spans': {
      noPath(variable, path, position);
      const given = argMap(variable, args, ['kind', 'name'], position);
      const spanKinds = given.kind?.split(',').map((k) => k.trim().toUpperCase()) ?? null;
      const bad = spanKinds?.find((k) => !(SPAN_KINDS as readonly string[]).includes(k));
      if (bad !== undefined) {
        throw new TemplateError(`unknown span kind "${bad}" in {{spans}}; kinds: ${SPAN_KINDS.join(', ')}`, position);
      }
      const names = given.name?.split(',').map((n) => n.trim()) ?? null;
      if (names?.some((n) => !n)) throw new TemplateError('empty span name in {{spans name=…}}', position);
      return { kind: 'spans', spanKinds, names };
    }
    case 'session_history': {
      noPath(variable, path, position);
      const given = argMap(variable, args, ['turns'], position);
      const turns = given.turns === undefined ? DEFAULT_HISTORY_TURNS : Number(given.turns);
      if (!Number.isInteger(turns) || turns < 1 || turns > MAX_HISTORY_TURNS) {
        throw new TemplateError(`turns must be an integer from 1 to ${MAX_HISTORY_TURNS}`, position);
      }
      return { kind: 'session_history', turns };
    }
    default:
      throw new TemplateError(`unknown variable "${variable}"${known()}`, position);
  }
}

/** Whitespace-separated tokens; a quoted argument value may hold spaces. */
function tokens(body: string, position: number): string[] {
  const out: string[] = [];
  const re = /\s*([^\s"=]+(?:=(?:"[^"]*"|[^\s"]*))?)/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < body.length && (m = re.exec(body)) !== null) {
    out.push(m[1]);
    at = re.lastIndex;
  }
  if (body.slice(at).trim()) throw new TemplateError(`cannot read "{{${body}}}"`, position);
  return out;
}

function noPath(variable: string, path: string[], position: number): void {
  if (path.length) throw new TemplateError(`{{${variable}}} has no fields ("${variable}.${path.join('.')}")`, position);
}

function noArgs(variable: string, args: string[], position: number): void {
  if (args.length) throw new TemplateError(`{{${variable}}} takes no arguments ("${args[0]}")`, position);
}

function argMap(variable: string, args: string[], allowed: string[], position: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const m = ARG.exec(arg);
    if (!m || !allowed.includes(m[1])) {
      throw new TemplateError(
        `{{${variable}}} takes ${allowed.map((a) => `${a}=…`).join(' and ')}, not "${arg}"`,
        position,
      );
    }
    if (m[1] in out) throw new TemplateError(`${m[1]}= is given twice in {{${variable}}}`, position);
    out[m[1]] = m[3] ?? m[2];
  }
  return out;
}
