import { Agent, EnvHttpProxyAgent, interceptors, request, type Dispatcher } from 'undici';

/**
 * Node's fetch goes through HTTP(S)_PROXY / NO_PROXY when told to (NODE_USE_ENV_PROXY=1 or
 * --use-env-proxy): so does this one.
 */
export function usesEnvProxy(env = process.env, execArgv = process.execArgv): boolean {
  return env.NODE_USE_ENV_PROXY === '1' || execArgv.includes('--use-env-proxy');
}

/**
 * The `fetch` the judge's AI SDK providers call: undici's `request` on one keep-alive agent, its
 * answer handed back as a web `Response`. Why not the global fetch: the SDK reads every answer whole
 * (generateText and embedMany do not stream), and for such a small JSON exchange Node's fetch
 * spends about twice the CPU (Request and Headers objects, web streams both ways; measured in
 * docs/performance.md, issue 27 point 4). It keeps what the SDK relies on from fetch: redirects are
 * followed, gzip/deflate/br answers decoded, an abort rejects with the signal's reason, and a
 * request that got no answer rejects with TypeError('fetch failed') and the cause, which the SDK
 * turns into a retryable "Cannot connect to API" error.
 */
const agent = (usesEnvProxy() ? new EnvHttpProxyAgent() : new Agent()).compose(
  interceptors.redirect({ maxRedirections: 20 }),
  interceptors.decompress(),
);

/** Statuses whose Response has no body (Fetch standard). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

export const judgeFetch: typeof fetch = async (input, init = {}) => {
  // The SDK always passes a URL string; anything else (a Request) is left to the real fetch.
  if (input instanceof Request) return fetch(input, init);
  const signal = init.signal ?? undefined;
  const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br' };
  const given = init.headers;
  if (given instanceof Headers || Array.isArray(given))
    new Headers(given).forEach((value, name) => (headers[name] = value));
  else Object.assign(headers, given);
  let status: number;
  let statusText: string | undefined;
  let body: ArrayBuffer;
  const answer = new Headers();
  try {
    const res = await request(input, {
      method: (init.method ?? 'GET') as 'GET',
      headers,
      body: (init.body ?? null) as Dispatcher.RequestOptions['body'],
      signal,
      dispatcher: agent,
    });
    status = res.statusCode;
    statusText = res.statusText;
    for (const [name, value] of Object.entries(res.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) answer.append(name, one);
    }
    body = await res.body.arrayBuffer();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new TypeError('fetch failed', { cause: error });
  }
  return new Response(NULL_BODY_STATUS.has(status) ? null : body, { status, statusText, headers: answer });
};
