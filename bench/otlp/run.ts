/**
 * OTLP ingestion against native ingestion, on the same traces: one built API process, then
 * alternating runs of POST /traces (the SDK's JSON body) and POST /v1/traces (the OTLP protobuf body
 * the official exporter sends for the same spans), each request a new trace. Prints durable
 * traces/s, latency percentiles, the OTLP/native ratio and the load average.
 *
 *   npm run build:tools
 *   node_modules/.bin/node dist/bench/otlp/run.js --database-url postgresql://postgres@127.0.0.1:5432/pp_bench_otlp \
 *        [--redis-url redis://127.0.0.1:6379/9] [--duration 15] [--connections 32] [--spans 10] [--rounds 2]
 *
 * The database is created and migrated when missing. Both bodies are built once from one trace (the
 * OTLP one by the OpenTelemetry SDK and its protobuf serializer); each request only gets a fresh
 * trace id, so body building costs the same on both sides and stays off the measured path.
 */
import { context, trace as otelTrace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { prepareDatabase, startApi, stopApi, waitHealthy } from '../support/api-process';

interface AutocannonResult {
  latency: { p50: number; p99: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const { values: args } = parseArgs({
  options: {
    'database-url': {
      type: 'string',
      default: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/pp_bench_otlp',
    },
    'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/9' },
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '15' },
    connections: { type: 'string', default: process.env.BENCH_CONNECTIONS ?? '32' },
    spans: { type: 'string', default: process.env.BENCH_SPANS ?? '10' },
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '2' },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const spanCount = Number(args.spans);
const runTag = `otlp-bench-${randomUUID().slice(0, 8)}`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const USER = { role: 'user', content: 'What is the status of order 1234?' };
const ANSWER = { role: 'assistant', content: 'The order shipped yesterday and arrives tomorrow.' };
const parts = (m: { role: string; content: string }) => ({
  role: m.role,
  parts: [{ type: 'text', content: m.content }],
});

/** The native body: the trace as an SDK posts it (the shape of bench/ingest), its id a placeholder. */
function nativeTemplate(start: number): string {
  const iso = (ms: number) => new Date(start + ms).toISOString();
  const rootId = randomUUID();
  const spans = Array.from({ length: spanCount }, (_, i) => {
    const kind = i === 0 ? 'AGENT' : i % 2 ? 'LLM' : 'TOOL';
    const llm = kind === 'LLM';
    return {
      span_id: i === 0 ? rootId : randomUUID(),
      parent_span_id: i === 0 ? undefined : rootId,
      name: i === 0 ? 'support-agent' : `${kind.toLowerCase()}-${i}`,
      kind,
      input: llm ? { messages: [USER] } : i === 0 ? { messages: [USER] } : { query: `lookup ${i}` },
      output: llm ? { messages: [ANSWER] } : i === 0 ? { messages: [ANSWER] } : { rows: i },
      model: llm ? 'gpt-4o-mini' : undefined,
      token_usage: llm ? { prompt_tokens: 120 + i, completion_tokens: 30, total_tokens: 150 + i } : undefined,
      cost: llm ? { total: 0.00027 } : undefined,
      model_parameters: llm ? { temperature: 0 } : undefined,
      started_at: iso(i * 100),
      ended_at: iso(i * 100 + 90),
    };
  });
  return JSON.stringify({
    trace_id: '__TRACE_ID__',
    name: 'support-agent',
    status: 'COMPLETED',
    input: { messages: [USER] },
    output: { messages: [ANSWER] },
    metadata: { 'service.name': 'bench' },
    started_at: iso(0),
    ended_at: iso(spanCount * 100),
    session_id: 'session-1',
    user_id: 'user-1',
    tags: [`${runTag}-native`],
    environment: 'bench',
    release: 'v1',
    spans,
  });
}

/** The same trace recorded with the OpenTelemetry SDK (GenAI conventions), serialised as its exporter does. */
function otlpTemplate(start: number): { body: Buffer; traceId: Buffer } {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'bench',
      'deployment.environment.name': 'bench',
      'service.version': 'v1',
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('bench');
  const root = tracer.startSpan('support-agent', {
    startTime: start,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.input.messages': JSON.stringify([parts(USER)]),
      'gen_ai.output.messages': JSON.stringify([parts(ANSWER)]),
      'session.id': 'session-1',
      'user.id': 'user-1',
      'tag.tags': [`${runTag}-otlp`],
    },
  });
  const inRoot = otelTrace.setSpan(context.active(), root);
  for (let i = 1; i < spanCount; i++) {
    const llm = i % 2 === 1;
    const attributes = llm
      ? {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.request.temperature': 0,
          'gen_ai.usage.input_tokens': 120 + i,
          'gen_ai.usage.output_tokens': 30,
          'gen_ai.usage.cost': 0.00027,
          'gen_ai.input.messages': JSON.stringify([parts(USER)]),
          'gen_ai.output.messages': JSON.stringify([parts(ANSWER)]),
        }
      : {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.call.arguments': JSON.stringify({ query: `lookup ${i}` }),
          'gen_ai.tool.call.result': JSON.stringify({ rows: i }),
        };
    tracer
      .startSpan(`${llm ? 'llm' : 'tool'}-${i}`, { startTime: start + i * 100, attributes }, inRoot)
      .end(start + i * 100 + 90);
  }
  root.end(start + spanCount * 100);
  const spans = exporter.getFinishedSpans();
  const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
  return { body, traceId: Buffer.from(root.spanContext().traceId, 'hex') };
}

/** Every offset of `needle` in `haystack`: where a fresh trace id is written into each request's copy. */
function offsetsOf(haystack: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) out.push(at);
  return out;
}

interface Side {
  label: string;
  path: string;
  contentType: string;
  tag: string;
  body: () => string | Buffer;
}

async function count(pool: Pool, tag: string): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM traces WHERE tags && ARRAY[$1]::text[]`, [tag]);
  return rows[0].n;
}

async function measure(pool: Pool, base: string, headers: Record<string, string>, side: Side, seconds: number) {
  const before = await count(pool, side.tag);
  const result = await autocannon({
    url: `${base}${side.path}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { ...headers, 'content-type': side.contentType },
        setupRequest: (req: object) => ({ ...req, body: side.body() }),
      },
    ],
  });
  const durable = (await count(pool, side.tag)) - before;
  return { rate: durable / result.duration, result, load: load() };
}

async function main(): Promise<void> {
  const databaseUrl = args['database-url']!;
  const url = new URL(databaseUrl);
  const database = url.pathname.slice(1);
  url.pathname = '/postgres';
  await prepareDatabase(url.toString(), database, databaseUrl);
  const apiKey = `sk_pp_${randomBytes(32).toString('hex')}`;
  const port = 19_000 + (process.pid % 1000);
  const base = `http://127.0.0.1:${port}`;
  const api = startApi({
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    REDIS_URL: args['redis-url']!,
    QUEUE_PREFIX: `otlpbench${process.pid}`,
    RATE_LIMIT_INGEST: '100000000',
    RATE_LIMIT_INGEST_BURST: '100000000',
    INIT_ORG_NAME: 'bench',
    INIT_PROJECT_NAME: 'otlp-bench',
    INIT_API_KEY: apiKey,
  });
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  try {
    await waitHealthy(base);
    const headers = { 'x-api-key': apiKey, 'x-project-name': 'otlp-bench' };
    const start = Date.now() - 60_000;
    const native = nativeTemplate(start);
    const otlp = otlpTemplate(start);
    const offsets = offsetsOf(otlp.body, otlp.traceId);
    const sides: Side[] = [
      {
        label: 'native POST /traces (JSON)',
        path: '/traces',
        contentType: 'application/json',
        tag: `${runTag}-native`,
        body: () => native.replace('__TRACE_ID__', randomUUID()),
      },
      {
        label: 'OTLP POST /v1/traces (protobuf)',
        path: '/v1/traces',
        contentType: 'application/x-protobuf',
        tag: `${runTag}-otlp`,
        body: () => {
          const copy = Buffer.from(otlp.body);
          const id = randomBytes(16);
          for (const at of offsets) id.copy(copy, at);
          return copy;
        },
      },
    ];

    // The two bodies describe the same trace: check once what was stored.
    const ids = [randomUUID(), otlp.traceId.toString('hex')];
    const nativeRes = await fetch(`${base}/traces`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: native.replace('__TRACE_ID__', ids[0]),
    });
    const otlpRes = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-protobuf' },
      body: otlp.body,
    });
    if (nativeRes.status !== 202 || otlpRes.status !== 200)
      throw new Error(`warm-up: ${nativeRes.status} / ${otlpRes.status}`);
    const otlpId = ids[1].replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    const stored = await Promise.all(
      [ids[0], otlpId].map(
        async (id) => (await (await fetch(`${base}/traces/${id}`, { headers })).json()) as Record<string, unknown>,
      ),
    );
    const shape = (t: Record<string, unknown>) => ({
      name: t.name,
      spans: t.span_count,
      tokens: t.total_tokens,
      session: t.session_id,
      user: t.user_id,
    });
    console.log('native trace stored:', JSON.stringify(shape(stored[0])));
    console.log('OTLP trace stored:  ', JSON.stringify(shape(stored[1])));
    console.log(
      `OTLP body ${otlp.body.length} bytes (protobuf), native body ${native.length} bytes (JSON); ${spanCount} spans per trace`,
    );

    for (const side of sides) await measure(pool, base, headers, side, 3); // warm-up
    const rates: Record<string, number[]> = {};
    for (let round = 1; round <= Number(args.rounds); round++) {
      for (const side of sides) {
        const { rate, result, load: l } = await measure(pool, base, headers, side, duration);
        (rates[side.label] ??= []).push(rate);
        console.log(
          `round ${round}  ${side.label.padEnd(34)} ${rate.toFixed(0).padStart(6)} traces/s durable   p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  non-2xx ${result.non2xx}  errors ${result.errors}  load ${l}`,
        );
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [n, o] = sides.map((s) => mean(rates[s.label]));
    console.log(`\n| | traces/s (mean of ${args.rounds} runs of ${duration} s, ${connections} connections) |`);
    console.log('|---|---|');
    console.log(`| native POST /traces | ${n.toFixed(0)} |`);
    console.log(`| OTLP POST /v1/traces | ${o.toFixed(0)} |`);
    console.log(`| OTLP / native | ${(o / n).toFixed(2)} |`);
    console.log(`load average at the end: ${load()}`);
  } finally {
    await pool.end();
    await stopApi(api);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
