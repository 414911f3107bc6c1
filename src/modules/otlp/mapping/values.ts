import type { Attributes } from '../wire/otlp-model';

/** ISO-8601 text of whole seconds, memoised: the spans of a trace share their seconds, and toISOString is costly. */
const SECONDS = new Map<number, string>();
function isoSecond(seconds: number): string {
  let text = SECONDS.get(seconds);
  if (text === undefined) {
    if (SECONDS.size >= 4096) SECONDS.clear();
    text = new Date(seconds * 1000).toISOString().slice(0, 19);
    SECONDS.set(seconds, text);
  }
  return text;
}

/** Nanoseconds since the epoch (decimal text) as ISO-8601 UTC with microseconds; null when absent, zero or out of range. */
export function nanosToIso(nanos: string): string | null {
  if (nanos.length < 10 || nanos.length > 19 || !/^\d+$/.test(nanos) || /^0+$/.test(nanos)) return null;
  const seconds = Number(nanos.slice(0, -9));
  if (seconds > 253_402_300_799) return null; // past year 9999
  return `${isoSecond(seconds)}.${nanos.slice(-9, -3)}Z`;
}

/** Attribute text that holds JSON (messages, arguments, metadata) parsed, else the text itself. */
export function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const t = value.trim();
  // Objects, arrays and JSON-encoded strings (OpenLLMetry json.dumps every entity value).
  if (!(t.startsWith('{') || t.startsWith('[') || (t.startsWith('"') && t.endsWith('"')))) return value;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return value;
  }
}

export const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

export const count = (value: unknown): number | undefined => {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
};

/** The first of `keys` that is set. */
export function first(attrs: Attributes, keys: readonly string[]): unknown {
  for (const key of keys) if (attrs[key] !== undefined && attrs[key] !== null && attrs[key] !== '') return attrs[key];
  return undefined;
}

/**
 * Flattened lists (`llm.input_messages.0.message.role`, `gen_ai.prompt.1.content`) as an array of
 * objects: the part after `prefix.<i>.` becomes a key of element i, in index order.
 */
export function indexed(attrs: Attributes, prefix: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const head = `${prefix}.`;
  for (const key of numberedKeys(attrs)) {
    if (!key.startsWith(head)) continue;
    const rest = key.slice(head.length);
    const dot = rest.indexOf('.');
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index) || index < 0 || index > 10_000 || dot < 0) continue;
    (out[index] ??= {})[rest.slice(dot + 1)] = attrs[key];
  }
  return out.filter(Boolean);
}

/** Keys with a numeric segment, found once per attribute set: most spans have none, and several conventions ask. */
const NUMBERED = new WeakMap<Attributes, string[]>();
function numberedKeys(attrs: Attributes): string[] {
  let keys = NUMBERED.get(attrs);
  if (!keys) {
    keys = Object.keys(attrs).filter((k) => /\.\d+\./.test(k));
    NUMBERED.set(attrs, keys);
  }
  return keys;
}
