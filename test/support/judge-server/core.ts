/**
 * The protocol-independent half of the scripted judge servers: a real `node:http` server, the
 * request log, scripted answers per stage, faults, latency and in-flight counters. Each provider
 * protocol (OpenAI chat/Responses/embeddings, Anthropic Messages, Gemini generateContent and
 * embeddings) is a `Protocol` that parses requests and shapes answers as that provider does.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { customJudgeAnswer, DEFAULT_ANSWERS, synthesizeFromSchema } from './defaults';

export type StageAnswer =
  | Record<string, unknown>
  /** Raw assistant text, sent as is (e.g. fenced JSON, or not JSON at all). */
  | { raw: string };

export type AnswerSource = StageAnswer | ((request: LoggedRequest) => StageAnswer);

/** What kind of call a request is: a chat-like generation or an embeddings call. */
export type Endpoint = 'chat' | 'embeddings';

export interface FaultSpec {
  /** Answer with this HTTP status instead (e.g. 500, 429, 401; 529 for Anthropic's overloaded). */
  status?: number;
  /** Sent as Retry-After with a status fault (seconds or an HTTP date). */
  retryAfter?: string;
  /** Sent as retry-after-ms with a status fault. */
  retryAfterMs?: number;
  /** Gemini: `RetryInfo.retryDelay` in the error body's details, e.g. '1s' or '0.5s'. */
  retryDelay?: string;
  /** Wait this long before answering (use a value past the client's timeout to simulate a hang). */
  delayMs?: number;
  /** Answer 200 with this text as the assistant content (e.g. 'not json'). */
  invalidJson?: string;
  /** Answer 200 with this literal HTTP body (e.g. not JSON at all): a broken answer at the wire level. */
  rawBody?: string;
  /** How many matching calls the fault applies to (default 1; Infinity for all). */
  count?: number;
  /** Only calls of this stage (`metric.stage`) are affected. */
  stage?: string;
  /** Only this endpoint: 'chat' or 'embeddings' (default both). */
  endpoint?: Endpoint;
}

export interface LoggedRequest {
  endpoint: Endpoint | 'other';
  path: string;
  stage: string | null;
  body: any;
  headers: IncomingMessage['headers'];
  /** The text of the last user message (chat) or the inputs (embeddings). */
  prompt: string;
  receivedAt: number;
  finishedAt?: number;
  status?: number;
  /** Token counts this answer reported (absent when the answer carried none). */
  reported?: { input: number; output: number };
}

export interface JudgeServerOptions {
  port?: number;
  host?: string;
  /** Latency added to every answer, ms. */
  latencyMs?: number;
  /**
   * A further latency drawn uniformly from [0, jitterMs) per answer, as a real provider's varies;
   * seeded (`jitterSeed`, default 1), so a run of the same requests sees the same draws.
   */
  jitterMs?: number;
  jitterSeed?: number;
  /** Dimensions of the deterministic default embeddings. */
  dimensions?: number;
  /** When true, requests asking for structured output get a 400 (a model without it). */
  rejectResponseFormat?: boolean;
  /** Require this API key (401 otherwise), in the header the provider uses. */
  apiKey?: string;
  answers?: Record<string, AnswerSource>;
}

export interface JudgeServer {
  readonly port: number;
  /** Base URL for the provider's *_BASE_URL variable, e.g. http://127.0.0.1:41234/v1 */
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
  /** When false, answers carry no usage at all (a provider or proxy that reports none). */
  setReportUsage(on: boolean): void;
  /** Requests of one stage (chat only). */
  stageRequests(stage: string): LoggedRequest[];
  /** Sum of the token counts the server reported, over every answer so far. */
  reportedTotals(): { input: number; output: number; unreported: number };
  /** Clears answers, faults, embeddings, log and counters (keeps options). */
  reset(): void;
  close(): Promise<void>;
}

/** One generated answer, as the protocol must put it on the wire. */
export interface ChatAnswer {
  /** The answer's text (JSON for structured stages). */
  content: string;
  usage: { input: number; output: number } | null;
}

/** A provider's wire format. */
export interface Protocol {
  /** Path prefix of the base URL, e.g. '/v1' or '/v1beta'. */
  basePath: string;
  route(method: string, path: string): Endpoint | null;
  authorized(headers: IncomingMessage['headers'], apiKey: string, query: URLSearchParams): boolean;
  /** The status a wrong or missing key gets (401 for most; Gemini answers 400 API_KEY_INVALID). */
  authStatus?: number;
  /** Why the real provider would refuse this request body with a 400, or null when it is well formed. */
  invalid(endpoint: Endpoint, path: string, body: any, headers: IncomingMessage['headers']): string | null;
  /** True when the request asks for structured output (refused under setRejectResponseFormat). */
  asksStructured(body: any): boolean;
  stage(endpoint: Endpoint, body: any): string | null;
  prompt(endpoint: Endpoint, body: any): string;
  /** The JSON Schema the answer must follow, for stages with no scripted or default answer. */
  schema(body: any): any;
  /** Characters of the whole request that count as input tokens (chars / 4). */
  inputChars(body: any): number;
  chatBody(path: string, body: any, answer: ChatAnswer, id: number): unknown;
  /** The texts an embeddings request asks for. */
  embedTexts(path: string, body: any): string[];
  embedBody(path: string, body: any, vectors: number[][], usage: { input: number } | null): unknown;
  errorBody(status: number, message: string, fault?: FaultSpec): unknown;
  /** The message a status fault carries, as this provider words it. */
  faultMessage(status: number): string;
}

const STAGE_LINE = /\[stage:\s*([a-z0-9_]+\.[a-z0-9_]+)\s*\]/i;
const SCHEMA_NAME = /^pp-([a-z0-9_]+)-([a-z0-9_]+)$/i;

/** `metric.stage` from a schema name `pp-<metric>-<stage>`, else from the prompt's `[stage: …]` line. */
export function stageFrom(schemaName: string | undefined, prompt: string): string | null {
  const m = schemaName ? SCHEMA_NAME.exec(schemaName) : null;
  if (m) return `${m[1]}.${m[2]}`;
  const line = STAGE_LINE.exec(prompt);
  return line ? line[1] : null;
}

export const tokens = (chars: number) => Math.max(1, Math.ceil(chars / 4));

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

interface ActiveFault extends FaultSpec {
  remaining: number;
}

export async function startScriptedServer(protocol: Protocol, options: JudgeServerOptions = {}): Promise<JudgeServer> {
  const answers = new Map<string, AnswerSource>(Object.entries(options.answers ?? {}));
  const embeddings = new Map<string, number[]>();
  let faults: ActiveFault[] = [];
  let latencyMs = options.latencyMs ?? 0;
  const jitter = jitterSource(options.jitterMs ?? 0, options.jitterSeed ?? 1);
  let rejectResponseFormat = options.rejectResponseFormat ?? false;
  let reportUsage = true;
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

  /** Per answer in progress: stops counting it as in flight. */
  const answered = new WeakMap<ServerResponse, () => void>();
  const send = (
    res: ServerResponse,
    log: LoggedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    log.status = status;
    log.finishedAt = Date.now();
    answered.get(res)?.();
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const chat = (body: any, log: LoggedRequest, res: ServerResponse, override?: StageAnswer) => {
    if (rejectResponseFormat && protocol.asksStructured(body)) {
      return send(res, log, 400, protocol.errorBody(400, 'This model does not support structured output.'));
    }
    const stage = log.stage ?? 'unknown.unknown';
    const source = answers.get(stage) ?? DEFAULT_ANSWERS[stage];
    let answer: StageAnswer;
    if (override) answer = override;
    else if (typeof source === 'function') answer = source(log);
    else if (source) answer = source;
    else
      answer =
        customJudgeAnswer(stage, log.prompt, protocol.schema(body)) ?? synthesizeFromSchema(protocol.schema(body));
    const content = 'raw' in answer && typeof answer.raw === 'string' ? answer.raw : JSON.stringify(answer);
    const usage = reportUsage ? { input: tokens(protocol.inputChars(body)), output: tokens(content.length) } : null;
    if (usage) log.reported = usage;
    send(res, log, 200, protocol.chatBody(log.path, body, { content, usage }, ++counter));
  };

  const embed = (body: any, log: LoggedRequest, res: ServerResponse) => {
    const texts = protocol.embedTexts(log.path, body);
    const vectors = texts.map((text) => embeddings.get(text) ?? hashVector(String(text), dims));
    const usage = reportUsage ? { input: tokens(texts.reduce((n, t) => n + String(t).length, 0)) } : null;
    const out = protocol.embedBody(log.path, body, vectors, usage);
    // What the protocol actually reported (Gemini's embeddings report none).
    const reported = (out as { usage?: { prompt_tokens?: number } })?.usage?.prompt_tokens;
    if (typeof reported === 'number') log.reported = { input: reported, output: 0 };
    send(res, log, 200, out);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    let unparsable = false;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      body = { _unparsable: raw };
      unparsable = true;
    }
    const path = (req.url ?? '').split('?')[0];
    const endpoint = protocol.route(req.method ?? '', path);
    const log: LoggedRequest = {
      endpoint: endpoint ?? 'other',
      path,
      stage: endpoint === 'chat' ? protocol.stage(endpoint, body) : null,
      body,
      headers: req.headers,
      prompt: endpoint ? protocol.prompt(endpoint, body) : '',
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
    // Counted until the answer is sent (send() calls finish before res.end), so the count does not
    // depend on when 'finish' or 'close' fire against the client's next request. 'close' covers
    // aborted answers.
    answered.set(res, finish);
    res.on('close', finish);
    try {
      if (!endpoint) return send(res, log, 404, protocol.errorBody(404, `No route for ${req.method} ${path}`));
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      if (options.apiKey && !protocol.authorized(req.headers, options.apiKey, query)) {
        const status = protocol.authStatus ?? 401;
        return send(res, log, status, protocol.errorBody(status, protocol.faultMessage(401)));
      }
      const invalid = unparsable
        ? 'The request body is not valid JSON.'
        : protocol.invalid(endpoint, path, body, req.headers);
      if (invalid) return send(res, log, 400, protocol.errorBody(400, invalid));
      if (gate) await gate;
      const fault = takeFault(log);
      const delay = (fault?.delayMs ?? 0) + latencyMs + jitter();
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (fault?.status) {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        return send(
          res,
          log,
          fault.status,
          protocol.errorBody(fault.status, protocol.faultMessage(fault.status), fault),
          headers,
        );
      }
      if (fault?.rawBody !== undefined) return send(res, log, 200, fault.rawBody);
      if (fault?.invalidJson !== undefined && endpoint === 'chat')
        return chat(body, log, res, { raw: fault.invalidJson });
      return endpoint === 'chat' ? chat(body, log, res) : embed(body, log, res);
    } catch (error) {
      return send(res, log, 500, protocol.errorBody(500, (error as Error).message));
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
    baseUrl: `http://${host}:${port}${protocol.basePath}`,
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
    setReportUsage: (on) => void (reportUsage = on),
    stageRequests: (stage) => requests.filter((r) => r.endpoint === 'chat' && r.stage === stage),
    reportedTotals: () => {
      const answered = requests.filter((r) => r.status === 200);
      return {
        input: answered.reduce((n, r) => n + (r.reported?.input ?? 0), 0),
        output: answered.reduce((n, r) => n + (r.reported?.output ?? 0), 0),
        unreported: answered.filter((r) => !r.reported).length,
      };
    },
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
      reportUsage = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Uniform draws in [0, ms) from a small seeded generator (mulberry32); always 0 when `ms` is 0. */
function jitterSource(ms: number, seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    if (ms <= 0) return 0;
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * ms);
  };
}
