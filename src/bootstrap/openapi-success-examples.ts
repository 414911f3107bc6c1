import type { OpenAPIObject } from '@nestjs/swagger';
import { formatTimestamp, isTimestampField, normalizeTimestamps } from '../common/timestamps';

/**
 * A success example for every JSON answer, built from its schema: values a real answer could hold
 * (ids, times, counts and names of the demo's kind), never Swagger UI's `"string"` placeholders, and
 * consistent within one object (a PENDING run has no completion time). A property's own `example`
 * wins. test/e2e/openapi-examples.e2e-spec.ts checks each against its schema.
 */

/** The parts of an OpenAPI schema object the examples are built from and checked against. */
export type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  example?: unknown;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
};

const TIME = '2026-01-15T12:00:02.000000+00:00';
const STRINGS: Record<string, string> = {
  name: 'support-chat',
  description: 'Customer support agent',
  key_prefix: 'sk_pp_3f9a',
  model: 'openai/gpt-4o-mini',
  metric_name: 'task_completion',
  prompt: 'You grade AI agent runs from their traces. Did the agent complete the task the user asked for?',
  session_id: 'sess-support-42',
  user_id: 'c-1042',
  environment: 'production',
  release: 'v1.4.2',
  reason: 'The agent looked the order up and gave its shipping date.',
  message: 'Provider is available.',
  detail: 'ok',
  status: 'ok',
  tag: 'demo',
};
const SHOWN_WHEN_NULLABLE = new Set(['raw_key', 'ended_at', 'latency_ms', 'tag', 'input', 'output', 'metadata']);
const FREE_OBJECTS: Record<string, unknown> = {
  metadata: { reviewer: 'ana' },
  filters: { tags: ['demo'] },
  input: { messages: [{ role: 'user', content: 'Where is my order o-77?' }] },
  output: { messages: [{ role: 'assistant', content: 'Order o-77 shipped yesterday.' }] },
};

/** A stable UUID per property name, so one document always shows the same ids. */
function uuidFor(name: string): string {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const hex = (h.toString(16).padStart(8, '0') + 'a1b2c3d4e5f60718293a4b5c').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function numberFor(name: string, schema: Schema): number {
  const integer = schema.type === 'integer';
  let n: number;
  if (/cost/.test(name)) n = 0.0021;
  else if (/rate|weight/.test(name)) n = 1;
  else if (/score|value|^avg|mean|kappa|accuracy|rho|mae/.test(name)) n = 0.85;
  else if (/latency|_ms$/.test(name)) n = 2000;
  else if (/tokens/.test(name)) n = 420;
  else if (name === 'offset' || name === 'bucket_min') n = 0;
  else if (name === 'limit') n = 50;
  else if (name === 'bucket_max') n = 0.1;
  else if (/seed/.test(name)) n = 42;
  else if (/days/.test(name)) n = 30;
  else n = 2;
  if (integer) n = Math.round(n) || (/cost|score|value/.test(name) ? 1 : n === 0 ? 0 : 1);
  if (schema.minimum !== undefined) n = Math.max(n, schema.minimum);
  if (schema.maximum !== undefined) n = Math.min(n, schema.maximum);
  return n;
}

export class SuccessExamples {
  constructor(private readonly schemas: Record<string, Schema>) {}

  private resolve(schema: Schema): Schema {
    if (schema.$ref) return this.resolve(this.schemas[schema.$ref.split('/').pop()!]);
    const [only] = schema.allOf ?? [];
    if (only && schema.allOf!.length === 1)
      return { ...this.resolve(only), nullable: schema.nullable, example: schema.example };
    return schema;
  }

  of(raw: Schema, name = '', depth = 0): unknown {
    const schema = this.resolve(raw);
    if (schema.example !== undefined) return schema.example;
    if (raw.example !== undefined) return raw.example;
    // Nullable: null, unless it is a value worth showing (a name, the key shown once, an end time).
    if ((schema.nullable || raw.nullable) && !(name in STRINGS) && !SHOWN_WHEN_NULLABLE.has(name)) return null;
    if (schema.enum) return schema.enum[0];
    const variant = schema.oneOf?.[0] ?? schema.anyOf?.[0];
    if (variant) return this.of(variant, name, depth);
    if (depth > 6) return null;
    switch (schema.type) {
      case 'string':
        if (schema.format === 'date-time' || /(_at|_seen)$|^at$/.test(name)) return TIME;
        if (schema.format === 'uuid' || /(^|_)id$/.test(name)) return uuidFor(name);
        if (name === 'raw_key') return `sk_pp_${'3f9a'.repeat(16)}`;
        return STRINGS[name] ?? name.replace(/_/g, '-');
      case 'integer':
      case 'number':
        return numberFor(name, schema);
      case 'boolean':
        return !/error|stopped|changed/.test(name);
      case 'array':
        return schema.items ? [this.of(schema.items, name.replace(/s$/, ''), depth + 1)] : [];
      default:
        return this.object(schema, name, depth);
    }
  }

  private object(schema: Schema, name: string, depth: number): unknown {
    if (!schema.properties) return FREE_OBJECTS[name] ?? {};
    const out: Record<string, unknown> = {};
    for (const [key, prop] of Object.entries(schema.properties)) out[key] = this.of(prop, key, depth + 1);
    // Nothing has happened yet to a PENDING object: no progress counted, nothing completed.
    if (out.status === 'PENDING')
      for (const key of Object.keys(out)) {
        if (/(evaluated|succeeded|failed|success|error)_count$|^judge_(calls|tokens)$/.test(key) && out[key] !== null)
          out[key] = 0;
        if (key === 'completed_at' && schema.properties[key].nullable) out[key] = null;
      }
    return out;
  }
}

type Response = { content?: Record<string, { schema?: Schema; example?: unknown; examples?: unknown }> };

/**
 * Sets `example` on every 2xx JSON response that has none. Timestamps in examples, built or written
 * on a DTO, are shown in the one response format (src/common/timestamps.ts).
 */
export function applySuccessExamples(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  for (const schema of Object.values(schemas)) {
    for (const [key, prop] of Object.entries(schema.properties ?? {}))
      if (isTimestampField(key) && typeof prop.example === 'string') prop.example = formatTimestamp(prop.example);
  }
  const build = new SuccessExamples(schemas);
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as { responses?: Record<string, Response> }[]) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        const media = response?.content?.['application/json'];
        if (!status.startsWith('2') || !media?.schema || media.example !== undefined || media.examples) continue;
        media.example = normalizeTimestamps(build.of(media.schema as Schema));
      }
    }
  }
  return document;
}
