import type { Attributes } from '../wire/otlp-model';

/** Nanoseconds since the epoch (decimal text) as ISO-8601 UTC with microseconds; null when absent or zero. */
export function nanosToIso(nanos: string): string | null {
  if (!/^\d{1,20}$/.test(nanos) || /^0+$/.test(nanos)) return null;
  const n = BigInt(nanos);
  const ms = Number(n / 1_000_000n);
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return null;
  const micros = String((n / 1000n) % 1000n).padStart(3, '0');
  return `${date.toISOString().slice(0, 23)}${micros}Z`;
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
  for (const [key, value] of Object.entries(attrs)) {
    if (!key.startsWith(head)) continue;
    const rest = key.slice(head.length);
    const dot = rest.indexOf('.');
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index) || index < 0 || index > 10_000 || dot < 0) continue;
    (out[index] ??= {})[rest.slice(dot + 1)] = value;
  }
  return out.filter(Boolean);
}
