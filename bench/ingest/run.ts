/**
 * Ingestion benchmark: POST /traces against a running service, then the same rows written straight to
 * PostgreSQL by a minimal script (the ceiling). Prints durable traces/s and latency percentiles.
 *
 *   npm run build:tools
 *   node dist/bench/ingest/run.js --url http://127.0.0.1:8000 --api-key sk_pp_... --project bench \
 *        --database-url postgresql://postgres@127.0.0.1:5432/pandaprobe [--duration 20] [--connections 32]
 *
 * Every option also reads an environment variable: BENCH_URL, PANDAPROBE_API_KEY, PANDAPROBE_PROJECT_NAME,
 * DATABASE_URL, BENCH_DURATION, BENCH_CONNECTIONS, BENCH_SPANS. The rows written are deleted at the end
 * unless --keep is given. The service must allow the request rate (RATE_LIMIT_INGEST).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';

// autocannon ships no types; this is the part of its API used here.
interface AutocannonResult {
  latency: { p50: number; p99: number; p90: number; average: number; max: number };
  requests: { average: number; total: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats?: Record<string, { count: number }>;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.BENCH_URL ?? 'http://127.0.0.1:8000' },
    'api-key': { type: 'string', default: process.env.PANDAPROBE_API_KEY },
    project: { type: 'string', default: process.env.PANDAPROBE_PROJECT_NAME ?? 'bench' },
    'database-url': {
      type: 'string',
      default: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/pandaprobe',
    },
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '20' },
    connections: { type: 'string', default: process.env.BENCH_CONNECTIONS ?? '32' },
    spans: { type: 'string', default: process.env.BENCH_SPANS ?? '10' },
    'skip-api': { type: 'boolean', default: false },
    'skip-ceiling': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

const duration = Number(args.duration);
const connections = Number(args.connections);
const spanCount = Number(args.spans);
const runTag = `bench-${randomUUID().slice(0, 8)}`;
const KINDS = ['AGENT', 'LLM', 'TOOL'] as const;

/** One trace as an SDK would send it: an AGENT root, then LLM and TOOL children with usage and cost. */
function makeTrace(): Record<string, unknown> {
  const start = Date.now() - 5000;
  const iso = (ms: number) => new Date(start + ms).toISOString();
  const rootId = randomUUID();
  const spans = Array.from({ length: spanCount }, (_, i) => {
    const kind = i === 0 ? 'AGENT' : KINDS[1 + (i % 2)];
    const llm = kind === 'LLM';
    return {
      span_id: i === 0 ? rootId : randomUUID(),
      parent_span_id: i === 0 ? undefined : rootId,
      name: `${kind.toLowerCase()}-${i}`,
      kind,
      status: 'OK',
      input: llm
        ? { messages: [{ role: 'user', content: `Question number ${i}: what is the status of order 1234?` }] }
        : { query: `lookup ${i}` },
      output: llm
        ? { messages: [{ role: 'assistant', content: 'The order shipped yesterday and arrives tomorrow.' }] }
        : { rows: i },
      model: llm ? 'gpt-4o-mini' : undefined,
      token_usage: llm ? { prompt_tokens: 120 + i, completion_tokens: 30, total_tokens: 150 + i } : undefined,
      cost: llm ? { input: 0.00018, output: 0.00009, total: 0.00027 } : undefined,
      started_at: iso(i * 100),
      ended_at: iso(i * 100 + 90),
      completion_start_time: llm ? iso(i * 100 + 20) : undefined,
      model_parameters: llm ? { temperature: 0 } : undefined,
    };
  });
  return {
    trace_id: randomUUID(),
    name: 'support-agent',
    status: 'COMPLETED',
    input: { messages: [{ role: 'user', content: 'What is the status of order 1234?' }] },
    output: { messages: [{ role: 'assistant', content: 'It shipped yesterday.' }] },
    metadata: { sdk: 'bench' },
    started_at: iso(0),
    ended_at: iso(spanCount * 100),
    session_id: `session-${Math.floor(Math.random() * 1000)}`,
    user_id: `user-${Math.floor(Math.random() * 100)}`,
    tags: ['bench', runTag],
    environment: 'bench',
    release: 'v1',
    spans,
  };
}

async function countRows(pool: Pool, tag: string): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM traces WHERE tags && ARRAY[$1]::text[]`, [tag]);
  return rows[0].n;
}

async function benchApi(pool: Pool): Promise<{ projectId: string } | null> {
  const apiKey = args['api-key'];
  if (!apiKey) throw new Error('--api-key (or PANDAPROBE_API_KEY) is required');
  const headers = { 'content-type': 'application/json', 'x-api-key': apiKey, 'x-project-name': args.project! };

  // Warm up (and create the project on first use).
  const probe = makeTrace();
  const warm = await fetch(`${args.url}/traces`, { method: 'POST', headers, body: JSON.stringify(probe) });
  if (warm.status !== 202) throw new Error(`warm-up POST /traces answered ${warm.status}: ${await warm.text()}`);
  const got = await fetch(`${args.url}/traces/${String(probe.trace_id)}`, { headers });
  const { project_id: projectId } = (await got.json()) as { project_id: string };
  await autocannon({
    url: `${args.url}/traces`,
    connections,
    duration: 3,
    requests: [
      { method: 'POST', headers, setupRequest: (req: object) => ({ ...req, body: JSON.stringify(makeTrace()) }) },
    ],
  });
  const before = await countRows(pool, runTag);

  const result = await autocannon({
    url: `${args.url}/traces`,
    connections,
    duration,
    requests: [
      { method: 'POST', headers, setupRequest: (req: object) => ({ ...req, body: JSON.stringify(makeTrace()) }) },
    ],
  });
  const durable = (await countRows(pool, runTag)) - before;
  const statuses = Object.entries(result.statusCodeStats ?? {})
    .map(([code, s]) => `${code}×${s.count}`)
    .join(' ');
  console.log(`\nAPI  POST /traces  (${connections} connections, ${duration} s, ${spanCount} spans per trace)`);
  console.log(
    `  accepted (2xx):      ${result['2xx']}   other: ${result.non2xx}   errors: ${result.errors}   timeouts: ${result.timeouts}   [${statuses}]`,
  );
  console.log(`  durable in DB:       ${durable}  (${(durable / result.duration).toFixed(0)} traces/s)`);
  console.log(
    `  latency ms:          p50 ${result.latency.p50}   p90 ${result.latency.p90}   p99 ${result.latency.p99}   max ${result.latency.max}`,
  );
  apiRate = durable / result.duration;
  return { projectId };
}

async function benchCeiling(pool: Pool, projectId: string): Promise<void> {
  // The minimal write of the same rows: one statement inserting the trace and its spans.
  const tag = `${runTag}-direct`;
  const latencies: number[] = [];
  let written = 0;
  const deadline = Date.now() + duration * 1000;
  const worker = async () => {
    const client = await pool.connect();
    try {
      while (Date.now() < deadline) {
        const trace = makeTrace();
        trace.tags = ['bench', tag];
        const spans = trace.spans as Array<Record<string, unknown>>;
        const t0 = process.hrtime.bigint();
        // One statement (atomic on its own): the trace row, then its spans from one JSON parameter.
        await client.query(
          `WITH ins AS (
             INSERT INTO traces (trace_id, project_id, name, status, input, output, metadata, started_at, ended_at,
                                 session_id, user_id, tags, environment, release, span_count, total_tokens, total_cost)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             RETURNING trace_id)
           INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, status, input, output, model, token_usage,
                              started_at, ended_at, completion_start_time, model_parameters, cost)
           SELECT ins.trace_id, x.span_id, x.parent_span_id, x.name, x.kind, x.status, x.input, x.output, x.model,
                  x.token_usage, x.started_at, x.ended_at, x.completion_start_time, x.model_parameters, x.cost
           FROM ins, jsonb_to_recordset($18::jsonb) AS x(span_id uuid, parent_span_id uuid, name text, kind text,
             status text, input jsonb, output jsonb, model text, token_usage jsonb, started_at timestamptz,
             ended_at timestamptz, completion_start_time timestamptz, model_parameters jsonb, cost jsonb)`,
          [
            trace.trace_id,
            projectId,
            trace.name,
            trace.status,
            JSON.stringify(trace.input),
            JSON.stringify(trace.output),
            JSON.stringify(trace.metadata),
            trace.started_at,
            trace.ended_at,
            trace.session_id,
            trace.user_id,
            trace.tags,
            trace.environment,
            trace.release,
            spans.length,
            1500,
            0.0015,
            JSON.stringify(spans),
          ],
        );
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        written += 1;
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const durable = await countRows(pool, tag);
  latencies.sort((x, y) => x - y);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
  console.log(`\nCeiling: the same rows straight to PostgreSQL (${connections} connections, ${duration} s)`);
  console.log(
    `  committed:           ${written}   durable in DB: ${durable}  (${(durable / duration).toFixed(0)} traces/s)`,
  );
  console.log(`  latency ms:          p50 ${pct(50)}   p99 ${pct(99)}`);
  ceilingRate = durable / duration;
}

let apiRate: number | null = null;
let ceilingRate: number | null = null;

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: args['database-url'], max: connections + 2 });
  try {
    let projectId: string | undefined;
    if (!args['skip-api']) projectId = (await benchApi(pool))?.projectId;
    if (!args['skip-ceiling']) {
      if (!projectId) {
        const { rows } = await pool.query(`SELECT id FROM projects WHERE name = $1 ORDER BY created_at LIMIT 1`, [
          args.project,
        ]);
        if (!rows[0]) throw new Error(`No project named ${args.project} for the ceiling run`);
        projectId = rows[0].id as string;
      }
      await benchCeiling(pool, projectId);
    }
    if (apiRate !== null && ceilingRate !== null) {
      console.log(`\nAPI / ceiling: ${((100 * apiRate) / ceilingRate).toFixed(0)} %`);
    }
  } finally {
    if (!args.keep) {
      const { rowCount } = await pool.query(`DELETE FROM traces WHERE tags && ARRAY[$1, $2]::text[]`, [
        runTag,
        `${runTag}-direct`,
      ]);
      console.log(`\n(cleaned up ${rowCount} bench traces; pass --keep to keep them)`);
    }
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
