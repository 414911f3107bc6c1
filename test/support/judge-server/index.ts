/**
 * A scripted OpenAI-compatible judge server: a real HTTP server offering only
 * POST /v1/chat/completions and POST /v1/embeddings, so the real AI SDK provider code runs in
 * tests and local trials. Answers are chosen per stage (`metric.stage`), read from the
 * response_format schema name `pp-<metric>-<stage>` or the prompt's `[stage: metric.stage]` line.
 *
 *   const server = await startJudgeServer();
 *   // OPENAI_BASE_URL=server.baseUrl, EVAL_LLM_MODEL=openai/judge-test
 *   server.answer('task_completion.score', { verdict: 0.9, reason: 'done' });
 *   server.fault({ status: 429, retryAfter: '1', count: 2 });
 *   ...
 *   await server.close();
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { DEFAULT_ANSWERS, synthesizeFromSchema } from './defaults';

export type StageAnswer =
  | Record<string, unknown>
  /** Raw assistant text, sent as is (e.g. fenced JSON, or not JSON at all). */
  | { raw: string };

export type AnswerSource = StageAnswer | ((request: LoggedRequest) => StageAnswer);

export interface FaultSpec {
  /** Answer with this HTTP status instead (e.g. 500, 429, 401). */
  status?: number;
  /** Sent as Retry-After with a status fault (seconds or an HTTP date). */
  retryAfter?: string;
  /** Sent as retry-after-ms with a status fault. */
  retryAfterMs?: number;
  /** Wait this long before answering (use a value past the client's timeout to simulate a hang). */
  delayMs?: number;
  /** Answer 200 with this text as the assistant content (e.g. 'not json'). */
  invalidJson?: string;
  /** How many matching calls the fault applies to (default 1; Infinity for all). */
  count?: number;
  /** Only calls of this stage (`metric.stage`) are affected. */
  stage?: string;
  /** Only this endpoint: 'chat' or 'embeddings' (default both). */
  endpoint?: 'chat' | 'embeddings';
}

export interface LoggedRequest {
  endpoint: 'chat' | 'embeddings' | 'other';
  path: string;
  stage: string | null;
  body: any;
  headers: IncomingMessage['headers'];
  /** The text of the last user message (chat) or the inputs (embeddings). */
  prompt: string;
  receivedAt: number;
  finishedAt?: number;
  status?: number;
}

export interface JudgeServerOptions {
  port?: number;
  host?: string;
  /** Latency added to every answer, ms. */
  latencyMs?: number;
  /** Dimensions of the deterministic default embeddings. */
  dimensions?: number;
  /** When true, requests carrying response_format get a 400 (a model without structured output). */
  rejectResponseFormat?: boolean;
  /** Require this bearer token (401 otherwise). */
  apiKey?: string;
  answers?: Record<string, AnswerSource>;
}

export interface JudgeServer {
  readonly port: number;
  /** Base URL for OPENAI_BASE_URL, e.g. http://127.0.0.1:41234/v1 */
  readonly baseUrl: string;
  readonly requests: LoggedRequest[];
  /** Most requests seen in flight at once. */
  readonly maxConcurrent: number;
  readonly inFlight: number;
  answer(stage: string, answer: AnswerSource): void;
  fault(spec: FaultSpec): void;
  setEmbedding(text: string, vector: number[]): void;
  setLatency(ms: number): void;
  setRejectResponseFormat(on: boolean): void;
  /**
   * Holds every request that arrives from now on (logged, not answered) until the returned
   * function is called; then they are answered as usual. For tests that need calls in flight at a known moment.
   */
  hold(): () => void;
  /** Requests of one stage (chat only). */
  stageRequests(stage: string): LoggedRequest[];
  /** Clears answers, faults, embeddings, log and counters (keeps options). */
  reset(): void;
  close(): Promise<void>;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
}

const STAGE_LINE = /\[stage:\s*([a-z0-9_]+\.[a-z0-9_]+)\s*\]/i;
const SCHEMA_NAME = /^pp-([a-z0-9_]+)-([a-z0-9_]+)$/i;

export function stageOf(body: any): string | null {
  const name: string | undefined = body?.response_format?.json_schema?.name;
  const m = name ? SCHEMA_NAME.exec(name) : null;
  if (m) return `${m[1]}.${m[2]}`;
  const text = lastUserText(body);
  const line = STAGE_LINE.exec(text);
  return line ? line[1] : null;
}

function lastUserText(body: any): string {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const users = messages.filter((m) => m.role === 'user');
  const content = users.length ? users[users.length - 1].content : '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: any) => (typeof p === 'string' ? p : (p?.text ?? ''))).join('');
  return '';
}

function allMessageChars(body: any): number {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  let n = 0;
  for (const m of messages)
    n += typeof m.content === 'string' ? m.content.length : JSON.stringify(m.content ?? '').length;
  if (body?.response_format) n += JSON.stringify(body.response_format).length;
  if (body?.tools) n += JSON.stringify(body.tools).length;
  return n;
}

const tokens = (chars: number) => Math.max(1, Math.ceil(chars / 4));

/** A deterministic unit-ish vector for a text: same text, same vector. */
export function hashVector(text: string, dims: number): number[] {
  const out: number[] = [];
  let seed = createHash('sha256').update(text).digest();
  while (out.length < dims) {
    for (let i = 0; i + 1 < seed.length && out.length < dims; i += 2) out.push((seed.readUInt16BE(i) / 65535) * 2 - 1);
    seed = createHash('sha256').update(seed).digest();
  }
  return out;
}

export async function startJudgeServer(options: JudgeServerOptions = {}): Promise<JudgeServer> {
  const answers = new Map<string, AnswerSource>(Object.entries(options.answers ?? {}));
  const embeddings = new Map<string, number[]>();
  let faults: ActiveFault[] = [];
  let latencyMs = options.latencyMs ?? 0;
  let rejectResponseFormat = options.rejectResponseFormat ?? false;
  const dims = options.dimensions ?? 8;
  const requests: LoggedRequest[] = [];
  let inFlight = 0;
  let maxConcurrent = 0;
  let counter = 0;
  let gate: Promise<void> | null = null;

  const takeFault = (log: LoggedRequest): ActiveFault | undefined => {
    const f = faults.find(
      (x) => x.remaining > 0 && (!x.stage || x.stage === log.stage) && (!x.endpoint || x.endpoint === log.endpoint),
    );
    if (f) f.remaining -= 1;
    faults = faults.filter((x) => x.remaining > 0);
    return f;
  };

  const send = (
    res: ServerResponse,
    log: LoggedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    log.status = status;
    log.finishedAt = Date.now();
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const errorBody = (status: number, message: string) => ({
    error: {
      message,
      type: status === 429 ? 'rate_limit_error' : status === 401 ? 'invalid_request_error' : 'server_error',
      code: null,
    },
  });

  const chat = (body: any, log: LoggedRequest, res: ServerResponse, override?: StageAnswer) => {
    if (rejectResponseFormat && body.response_format && body.response_format.type !== 'text') {
      return send(res, log, 400, errorBody(400, "This model does not support 'response_format'."));
    }
    const stage = log.stage ?? 'unknown.unknown';
    const source = answers.get(stage) ?? DEFAULT_ANSWERS[stage];
    let answer: StageAnswer;
    if (override) answer = override;
    else if (typeof source === 'function') answer = source(log);
    else if (source) answer = source;
    else
      answer = synthesizeFromSchema(body.response_format?.json_schema?.schema ?? body.tools?.[0]?.function?.parameters);
    const content = 'raw' in answer && typeof answer.raw === 'string' ? answer.raw : JSON.stringify(answer);
    const usage = {
      prompt_tokens: tokens(allMessageChars(body)),
      completion_tokens: tokens(content.length),
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = `chatcmpl-${++counter}`;
    const useTool = Array.isArray(body.tools) && body.tools.length > 0;
    const message = useTool
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: `call_${counter}`,
              type: 'function',
              function: { name: pickTool(body), arguments: content },
            },
          ],
        }
      : { role: 'assistant', content };
    send(res, log, 200, {
      id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'judge-test',
      choices: [{ index: 0, message, finish_reason: useTool ? 'tool_calls' : 'stop', logprobs: null }],
      usage,
    });
  };

  const embed = (body: any, log: LoggedRequest, res: ServerResponse) => {
    const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
    const base64 = body.encoding_format === 'base64';
    const data = inputs.map((text, index) => {
      const vec = embeddings.get(text) ?? hashVector(String(text), dims);
      const embedding = base64 ? Buffer.from(new Float32Array(vec).buffer).toString('base64') : vec;
      return { object: 'embedding', index, embedding };
    });
    const promptTokens = tokens(inputs.reduce((n, t) => n + String(t).length, 0));
    send(res, log, 200, {
      object: 'list',
      data,
      model: body.model ?? 'embed-test',
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      body = { _unparsable: raw };
    }
    const path = (req.url ?? '').split('?')[0];
    const endpoint = path.endsWith('/chat/completions')
      ? 'chat'
      : path.endsWith('/embeddings')
        ? 'embeddings'
        : 'other';
    const log: LoggedRequest = {
      endpoint,
      path,
      stage: endpoint === 'chat' ? stageOf(body) : null,
      body,
      headers: req.headers,
      prompt: endpoint === 'chat' ? lastUserText(body) : JSON.stringify(body.input ?? ''),
      receivedAt: Date.now(),
    };
    requests.push(log);
    inFlight += 1;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        inFlight -= 1;
      }
    };
    res.on('close', finish);
    try {
      if (req.method !== 'POST' || endpoint === 'other')
        return send(res, log, 404, errorBody(404, `No route for ${req.method} ${path}`));
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return send(res, log, 401, errorBody(401, 'Incorrect API key provided.'));
      }
      if (gate) await gate;
      const fault = takeFault(log);
      const delay = (fault?.delayMs ?? 0) + latencyMs;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (fault?.status) {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        const message =
          fault.status === 401
            ? 'Incorrect API key provided.'
            : fault.status === 429
              ? 'Rate limit reached.'
              : 'The server had an error.';
        return send(res, log, fault.status, errorBody(fault.status, message), headers);
      }
      if (fault?.invalidJson !== undefined && endpoint === 'chat')
        return chat(body, log, res, { raw: fault.invalidJson });
      return endpoint === 'chat' ? chat(body, log, res) : embed(body, log, res);
    } catch (error) {
      return send(res, log, 500, errorBody(500, (error as Error).message));
    } finally {
      if (res.writableEnded || res.destroyed) finish();
    }
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';

  return {
    port,
    baseUrl: `http://${host}:${port}/v1`,
    requests,
    get maxConcurrent() {
      return maxConcurrent;
    },
    get inFlight() {
      return inFlight;
    },
    answer: (stage, answer) => void answers.set(stage, answer),
    fault: (spec) => void faults.push({ ...spec, remaining: spec.count ?? 1 }),
    setEmbedding: (text, vector) => void embeddings.set(text, vector),
    setLatency: (ms) => void (latencyMs = ms),
    setRejectResponseFormat: (on) => void (rejectResponseFormat = on),
    hold: () => {
      let open!: () => void;
      const held = new Promise<void>((resolve) => (open = resolve));
      gate = held;
      return () => {
        if (gate === held) gate = null;
        open();
      };
    },
    stageRequests: (stage) => requests.filter((r) => r.endpoint === 'chat' && r.stage === stage),
    reset: () => {
      answers.clear();
      for (const [k, v] of Object.entries(options.answers ?? {})) answers.set(k, v);
      embeddings.clear();
      faults = [];
      gate = null;
      requests.length = 0;
      maxConcurrent = inFlight;
      latencyMs = options.latencyMs ?? 0;
      rejectResponseFormat = options.rejectResponseFormat ?? false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function pickTool(body: any): string {
  const choice = body.tool_choice;
  if (choice && typeof choice === 'object' && choice.function?.name) return choice.function.name;
  return body.tools[0]?.function?.name ?? 'json';
}
