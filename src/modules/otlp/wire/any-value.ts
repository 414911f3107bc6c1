import type { Attributes } from './otlp-model';

/**
 * An OTLP AnyValue as a plain value. Both encodings arrive here as objects (protobufjs's toObject
 * with longs and bytes as strings, or the parsed OTLP/JSON body): exactly one of the keys is set.
 */
export function anyValue(value: unknown): unknown {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (v.stringValue !== undefined) return String(v.stringValue);
  if (v.boolValue !== undefined) return Boolean(v.boolValue);
  if (v.intValue !== undefined) return toInt(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.bytesValue !== undefined) return String(v.bytesValue); // base64 in both encodings
  if (v.arrayValue !== undefined) return listOf((v.arrayValue as { values?: unknown[] } | null)?.values).map(anyValue);
  if (v.kvlistValue !== undefined) return keyValues((v.kvlistValue as { values?: unknown[] } | null)?.values);
  return null;
}

/** int64 travels as a string (JSON, protobufjs longs): a number when it is exact, else the digits. */
function toInt(value: unknown): number | string {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : String(value);
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
