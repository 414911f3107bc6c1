import type { Attributes } from './otlp-model';

const VALUE_KINDS = new Set([
  'stringValue',
  'boolValue',
  'intValue',
  'doubleValue',
  'bytesValue',
  'arrayValue',
  'kvlistValue',
]);

/**
 * An OTLP AnyValue as a plain value, from either encoding: a protobufjs message (the set field is an
 * own property; int64 a Long, bytes a Uint8Array) or a parsed OTLP/JSON object (int64 a string or
 * number, bytes base64). Exactly one kind is set; bytes come out as base64 text.
 */
export function anyValue(value: unknown): unknown {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const kind = Object.keys(v).find((k) => VALUE_KINDS.has(k));
  const raw = kind === undefined ? undefined : v[kind];
  switch (kind) {
    case 'stringValue':
      return String(raw);
    case 'boolValue':
      return Boolean(raw);
    case 'intValue':
      return toInt(raw);
    case 'doubleValue':
      return Number(raw);
    case 'bytesValue':
      return raw instanceof Uint8Array ? Buffer.from(raw).toString('base64') : String(raw);
    case 'arrayValue':
      return listOf((raw as { values?: unknown[] } | null)?.values).map(anyValue);
    case 'kvlistValue':
      return keyValues((raw as { values?: unknown[] } | null)?.values);
    default:
      return null;
  }
}

/** int64 (a Long, a string or a number): a number when it is exact, else the decimal digits. */
function toInt(value: unknown): number | string {
  const text = String(value);
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

export const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** A KeyValue list as an object; a repeated key keeps its last value. */
export function keyValues(list: unknown): Attributes {
  const out: Attributes = {};
  for (const kv of listOf(list)) {
    if (!kv || typeof kv !== 'object') continue;
    const { key, value } = kv as { key?: unknown; value?: unknown };
    if (typeof key === 'string' && key !== '__proto__') out[key] = anyValue(value);
  }
  return out;
}
