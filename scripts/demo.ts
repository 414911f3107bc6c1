/**
 * npm run demo: a guided tour against a RUNNING service (npm run setup, npm start, or docker compose).
 *
 *  1. checks the service and the API key;
 *  2. starts the SCRIPTED judge on a fixed port (answers are canned; for trying the service without an
 *     LLM key), or reuses the one `npm run judge:scripted` already serves there — the service's
 *     SCRIPTED_JUDGE_URL must point at it (the .env.example default does); runs name it scripted/...;
 *  3. ingests realistic agent traces written for this project, tagged with this demo run's own tag;
 *  4. creates a filtered (that tag), sampled (0.5) eval run, shows its progress;
 *  5. prints a table of the scores.
 *
 * Settings come from the environment or .env: PANDAPROBE_ENDPOINT or API_URL (default http://localhost:<PORT or 8000>),
 * PANDAPROBE_API_KEY or INIT_API_KEY, PANDAPROBE_PROJECT_NAME or INIT_PROJECT_NAME (default demo), SCRIPTED_JUDGE_URL
 * (the service's, to check it), DEMO_JUDGE_PORT (4010), DEMO_JUDGE_HOST (127.0.0.1; 0.0.0.0 when the service runs
 * in a container), DEMO_SAMPLING_RATE (0.5), DEMO_USE_CONFIGURED_JUDGE=true to run against whatever judge the service
 * has (a real provider: it costs tokens).
 */
import '../src/config/dotenv';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { startJudgeServer, type JudgeServer, type LoggedRequest } from '../test/support/judge-server';
import { DEFAULT_ANSWERS } from '../test/support/judge-server/defaults';
import { CANNED_VERDICTS, demoTraces } from './demo/traces';

const env = process.env;
const ENDPOINT = (env.PANDAPROBE_ENDPOINT ?? env.API_URL ?? `http://localhost:${env.PORT ?? 8000}`).replace(/\/+$/, '');
const API_KEY = env.PANDAPROBE_API_KEY ?? env.INIT_API_KEY ?? '';
const PROJECT = env.PANDAPROBE_PROJECT_NAME ?? env.INIT_PROJECT_NAME ?? 'demo';
const JUDGE_PORT = Number(env.DEMO_JUDGE_PORT ?? 4010);
const JUDGE_HOST = env.DEMO_JUDGE_HOST ?? '127.0.0.1';
const SAMPLING_RATE = Number(env.DEMO_SAMPLING_RATE ?? 0.5);
const USE_CONFIGURED_JUDGE = env.DEMO_USE_CONFIGURED_JUDGE === 'true';
const METRICS = ['task_completion', 'tool_correctness', 'plan_quality', 'confidence'] as const;
const SCRIPTED_LABEL = 'scripted judge: answers are canned, for trying the service without an LLM key';
/** The model the demo's runs name: the scripted judge, never a real model's name on canned answers. */
const SCRIPTED_MODEL = 'scripted/demo-judge';

const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const yellow = (s: string) => (tty ? `\x1b[33m${s}\x1b[0m` : s);
const red = (s: string) => (tty ? `\x1b[31m${s}\x1b[0m` : s);
const green = (s: string) => (tty ? `\x1b[32m${s}\x1b[0m` : s);
const step = (n: number, text: string) => console.log(`\n${bold(`${n}.`)} ${bold(text)}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class DemoError extends Error {}

/** The parts of the wire objects the demo reads. */
interface RunBody {
  id: string;
  status: 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED';
  total_targets: number;
  evaluated_count: number;
  succeeded_count: number;
  failed_count: number;
  metric_names: string[];
  sampling_seed: number;
  model: string | null;
  judge_usage: { calls: number };
}
interface ScoreBody {
  trace_id: string;
  name: string;
  value: string | null;
  status: string;
  reason: string | null;
}

async function api<T = Record<string, string>>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(`${ENDPOINT}${path}`, {
      method,
      headers: { 'X-API-Key': API_KEY, 'X-Project-Name': PROJECT, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new DemoError(
      `Cannot reach the service at ${ENDPOINT} (${(e as Error).message}).\n` +
        `   Start it first: \`npm run setup\` (or \`npm start\` + \`npm run start:worker\`), or set PANDAPROBE_ENDPOINT.`,
    );
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T };
}

function expectStatus(what: string, r: { status: number; body: unknown }, status: number): void {
  if (r.status !== status) throw new DemoError(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
}

/** Where the service's scripted judge points, as far as the shared .env/environment says. */
function judgeWiring(judgeUrl: string): { ok: boolean; message: string } {
  const configured = (env.SCRIPTED_JUDGE_URL ?? '').replace(/\/+$/, '');
  if (!configured)
    return { ok: false, message: `SCRIPTED_JUDGE_URL is not set in .env (the service has no scripted judge).` };
  let port: string;
  try {
    port = new URL(configured).port;
  } catch {
    return { ok: false, message: `SCRIPTED_JUDGE_URL=${configured} is not a URL.` };
  }
  if (port !== String(JUDGE_PORT))
    return { ok: false, message: `SCRIPTED_JUDGE_URL=${configured}, not the demo judge (${judgeUrl}).` };
  return { ok: true, message: `SCRIPTED_JUDGE_URL=${configured}` };
}

const FIX_WIRING =
  `   To use the scripted judge, put this line in the service's .env and restart the service (API and worker):\n` +
  `     SCRIPTED_JUDGE_URL=http://127.0.0.1:${JUDGE_PORT}/v1\n` +
  `   (in containers: DEMO_JUDGE_HOST=0.0.0.0 npm run demo, and SCRIPTED_JUDGE_URL=http://host.docker.internal:${JUDGE_PORT}/v1).\n` +
  `   Or keep your real provider and run DEMO_USE_CONFIGURED_JUDGE=true npm run demo (it costs tokens).`;

/** True when what listens at `judgeUrl` answers like an OpenAI-compatible judge (e.g. npm run judge:scripted). */
async function answersLikeAJudge(judgeUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${judgeUrl}/embeddings`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'probe', input: ['probe'] }),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await res.json()) as { data?: { embedding?: unknown }[] };
    return res.ok && Array.isArray(body.data?.[0]?.embedding);
  } catch {
    return false;
  }
}

/** True when something accepts connections on host:port. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

/** Starts the demo's own scripted judge, or reuses one already listening on the port. */
async function startOrReuseJudge(judgeUrl: string): Promise<JudgeServer | 'reused'> {
  const { hostname, port } = new URL(judgeUrl);
  if (await listening(hostname, Number(port))) {
    if (await answersLikeAJudge(judgeUrl)) return 'reused';
    throw new DemoError(
      `Port ${JUDGE_PORT} is taken by something that is not a scripted judge. ` +
        `Free it, or choose another port with DEMO_JUDGE_PORT and point the service's SCRIPTED_JUDGE_URL at it.`,
    );
  }
  return startJudgeServer({ port: JUDGE_PORT, host: JUDGE_HOST, latencyMs: 150 });
}

/**
 * Canned answers that depend on which demo trace the judge is shown. Stages that see the trace find
 * its name in the prompt; their answers carry the name as a `[name]` marker, so the later stages of
 * the same metric (which see only those answers) can tell the trace too.
 */
function scriptJudge(judge: JudgeServer, traceNames: string[]): void {
  const nameIn = (req: LoggedRequest) => {
    const text = JSON.stringify(req.body?.messages ?? '');
    return (
      traceNames.find((name) => text.includes(`[${name}]`)) ??
      traceNames.find((name) => text.includes(`Trace \\"${name}\\"`))
    );
  };
  const mark = (req: LoggedRequest) => {
    const name = nameIn(req);
    return name ? `[${name}] ` : '';
  };
  const canned = (metric: string, field: string, fallback: [number, string]) => (req: LoggedRequest) => {
    const name = nameIn(req);
    const [value, reason] =
      (name && CANNED_VERDICTS[name]?.[metric as keyof (typeof CANNED_VERDICTS)[string]]) || fallback;
    return { [field]: value, reason };
  };
  const tc = DEFAULT_ANSWERS['task_completion.extract'];
  const tools = DEFAULT_ANSWERS['tool_correctness.extract'];
  judge.answer('task_completion.extract', (req) => ({ ...tc, task: `${mark(req)}${String(tc.task)}` }));
  judge.answer('tool_correctness.extract', (req) => ({
    ...tools,
    user_input: `${mark(req)}${String(tools.user_input)}`,
  }));
  const scored: [stage: string, metric: string, field: string, fallback: [number, string]][] = [
    [
      'task_completion.score',
      'task_completion',
      'verdict',
      [0.85, 'The agent did what the user asked and confirmed it.'],
    ],
    [
      'tool_correctness.score',
      'tool_correctness',
      'score',
      [0.9, 'The tools called fit the request; no unnecessary calls.'],
    ],
    ['plan_quality.score', 'plan_quality', 'score', [0.75, 'A reasonable approach, though the plan is implicit.']],
    ['confidence.evaluate', 'confidence', 'confidence', [0.85, 'The answer is specific and grounded in tool results.']],
  ];
  for (const [stage, metric, field, fallback] of scored) judge.answer(stage, canned(metric, field, fallback));
}

function table(rows: string[][], header: string[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [bold(line(header)), dim(widths.map((w) => '─'.repeat(w)).join('  ')), ...rows.map(line)].join('\n');
}

const excerpt = (s: string | null, n = 72) => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

async function main(): Promise<void> {
  console.log(bold('PandaProbe-compatible evaluation backend: guided demo'));
  console.log(dim(`service ${ENDPOINT}, project "${PROJECT}"`));

  step(1, 'Checking the service');
  if (!API_KEY)
    throw new DemoError(
      'No API key: set PANDAPROBE_API_KEY (or INIT_API_KEY in .env; `npm run setup` writes one and prints it).',
    );
  const ready = await api('GET', '/health/ready');
  if (ready.status !== 200)
    throw new DemoError(`The service is not ready: HTTP ${ready.status} ${JSON.stringify(ready.body)}`);
  const project = await api('GET', '/projects/current');
  if (project.status === 401)
    throw new DemoError(`The API key is not accepted (401): check PANDAPROBE_API_KEY / INIT_API_KEY.`);
  expectStatus('GET /projects/current', project, 200);
  console.log(`   ${green('ok')}: ready, project "${project.body.name}" (${project.body.id})`);

  step(2, `Starting the ${SCRIPTED_LABEL}`);
  let judge: JudgeServer | undefined;
  const judgeUrl = `http://${JUDGE_HOST === '0.0.0.0' ? '127.0.0.1' : JUDGE_HOST}:${JUDGE_PORT}/v1`;
  const wiring = judgeWiring(judgeUrl);
  if (!USE_CONFIGURED_JUDGE) {
    if (!wiring.ok)
      throw new DemoError(`The service's judge is not pointed at the demo judge: ${wiring.message}\n${FIX_WIRING}`);
    const providers = await api<{ key: string; available: boolean }[]>('GET', '/evaluations/providers');
    expectStatus('GET /evaluations/providers', providers, 200);
    if (!providers.body.some((p) => p.key === 'scripted' && p.available))
      throw new DemoError(`The running service has no scripted judge configured.\n${FIX_WIRING}`);
    const started = await startOrReuseJudge(judgeUrl);
    if (started === 'reused') {
      console.log(
        `   ${yellow('SCRIPTED')} judge already listening on ${judgeUrl} (npm run judge:scripted): reusing it, ` +
          `with its default canned answers (${wiring.message}).`,
      );
    } else {
      judge = started;
      scriptJudge(judge, [...new Set(demoTraces('names-only').map((t) => t.name))]);
      console.log(`   ${yellow('SCRIPTED')} judge listening on ${judge.baseUrl} (${wiring.message}).`);
    }
    console.log(
      dim(
        `   Its verdicts are canned, not an LLM's opinion, and runs name it ${SCRIPTED_MODEL}. For real judgments set a provider key in .env (docs/judge.md).`,
      ),
    );
  } else {
    console.log(`   ${yellow('skipped')}: DEMO_USE_CONFIGURED_JUDGE=true, the service's own judge is used.`);
  }

  try {
    step(3, 'Ingesting realistic agent traces');
    const runTag = `demo-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
    const traces = demoTraces(runTag);
    const names = new Map<string, string>();
    for (const trace of traces) {
      const r = await api('POST', '/traces', trace);
      expectStatus(`POST /traces (${trace.name})`, r, 202);
      names.set(r.body.trace_id, trace.name);
      const kinds = [...new Set(trace.spans.map((s) => s.kind))].join('/');
      console.log(
        `   ${trace.status === 'ERROR' ? red('ERROR    ') : 'COMPLETED'}  ${trace.name.padEnd(18)} ${String(trace.spans.length).padStart(2)} spans ${dim(
          `${kinds}; ${trace.environment}; ${trace.user_id ?? '-'}`,
        )}`,
      );
    }
    console.log(`   ${green(`${traces.length} traces`)} stored (each 202 means committed), all tagged ${bold(runTag)}`);

    step(4, `Creating a filtered, sampled eval run (tags=[${runTag}], sampling_rate=${SAMPLING_RATE})`);
    const since = new Date(Date.now() - 2 * 3600_000).toISOString();
    const created = await api<RunBody>('POST', '/evaluations/trace-runs', {
      name: `guided demo ${runTag}`,
      metrics: METRICS,
      filters: { tags: [runTag], date_from: since },
      sampling_rate: SAMPLING_RATE,
      ...(USE_CONFIGURED_JUDGE ? {} : { model: SCRIPTED_MODEL }),
    });
    expectStatus('POST /evaluations/trace-runs', created, 202);
    let run = created.body;
    console.log(
      `   run ${bold(run.id)}: ${run.total_targets} of ${traces.length} matching traces sampled (seed ${run.sampling_seed}), ` +
        `${run.metric_names.length} metrics, judge model ${run.model}`,
    );

    const total = run.total_targets as number;
    const started = Date.now();
    let lastLine = '';
    let warned = false;
    while (run.status === 'PENDING' || run.status === 'RUNNING') {
      await sleep(500);
      const r = await api<RunBody>('GET', `/evaluations/trace-runs/${run.id}`);
      expectStatus('GET run', r, 200);
      run = r.body;
      const width = 24;
      const filled = Math.round((run.evaluated_count / Math.max(1, total)) * width);
      const line =
        `   [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${run.status.padEnd(9)} ${run.evaluated_count}/${total} traces, ` +
        `${run.succeeded_count} scores, ${run.failed_count} failed, ${run.judge_usage.calls} judge calls`;
      if (line !== lastLine) {
        if (tty) process.stdout.write(`\r${line}`);
        else console.log(line);
        lastLine = line;
      }
      const elapsed = Date.now() - started;
      if (judge && !warned && elapsed > 15_000 && judge.requests.length === 0) {
        warned = true;
        console.log(
          `\n   ${yellow('No judge call has reached the demo judge yet.')} Is the worker running (npm run start:worker, or RUN_WORKER_IN_PROCESS=true)?`,
        );
        console.log(
          `   Does the service really use ${judgeUrl}? It reads SCRIPTED_JUDGE_URL at start: restart it after changing .env.`,
        );
      }
      if (elapsed > 180_000)
        throw new DemoError(
          `The run did not finish in 3 minutes (last: ${run.status}, ${run.evaluated_count}/${total}).`,
        );
    }
    if (tty) process.stdout.write('\n');
    console.log(
      `   ${run.status === 'COMPLETED' ? green(run.status) : red(run.status)} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    step(5, 'Scores');
    const scores = await api<ScoreBody[]>('GET', `/evaluations/trace-runs/${run.id}/scores`);
    expectStatus('GET scores', scores, 200);
    const rows = scores.body
      .slice()
      .sort(
        (a, b) =>
          (names.get(a.trace_id) ?? '').localeCompare(names.get(b.trace_id) ?? '') ||
          a.trace_id.localeCompare(b.trace_id) ||
          a.name.localeCompare(b.name),
      )
      .map((s) => [
        names.get(s.trace_id) ?? s.trace_id.slice(0, 8),
        s.trace_id.slice(0, 8),
        s.name,
        s.status === 'SUCCESS' ? Number(s.value).toFixed(2) : red('FAILED'),
        excerpt(s.reason),
      ]);
    console.log(table(rows, ['trace', 'id', 'metric', 'score', 'reason']));
    const failed = scores.body.filter((s) => s.status !== 'SUCCESS');
    if (failed.length > 0) {
      console.log(`\n   ${red(`${failed.length} scores failed`)}: ${excerpt(failed[0].reason, 160)}`);
      if (judge && judge.requests.length === 0)
        console.log(`   The demo judge was never called: the service's judge is not pointed at it.\n${FIX_WIRING}`);
    }
    if (judge) console.log(dim(`\n   (${judge.requests.length} calls answered by the ${SCRIPTED_LABEL})`));

    console.log(`\n${bold('Next')}`);
    console.log(
      `   curl -s ${ENDPOINT}/evaluations/trace-runs/${run.id} -H "X-API-Key: $KEY" -H "X-Project-Name: ${PROJECT}"`,
    );
    console.log(`   curl -s "${ENDPOINT}/traces?tags=${runTag}" -H "X-API-Key: $KEY" -H "X-Project-Name: ${PROJECT}"`);
    console.log(
      `   Swagger UI: ${ENDPOINT}/docs · real judges: set OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY and a matching EVAL_LLM_MODEL, see docs/judge.md`,
    );
    if (run.status !== 'COMPLETED' || failed.length > 0) process.exitCode = 1;
  } finally {
    await judge?.close();
  }
}

main().catch((e: unknown) => {
  if (e instanceof DemoError) console.error(`\n${red('demo stopped')}: ${e.message}`);
  else console.error(e);
  process.exit(1);
});
