import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { judgeFetch } from './judge-fetch';

/** judgeFetch behaves as fetch wherever the AI SDK looks at it. */
describe('judgeFetch', () => {
  let server: Server;
  let base: string;
  const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/moved') res.writeHead(307, { location: '/echo' }).end();
        else if (req.url === '/gzip')
          res
            .writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' })
            .end(gzipSync('{"a":1}'));
        else if (req.url === '/empty') res.writeHead(204).end();
        else if (req.url === '/slow')
          return; // never answers
        else if (req.url === '/bad') res.writeHead(429, 'Slow Down', { 'retry-after': '3' }).end('{"error":"busy"}');
        else res.writeHead(200, { 'content-type': 'application/json', 'x-two': ['a', 'b'] }).end(`{"got":${body}}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => (seen.length = 0));
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });

  it('sends method, headers and body, and answers a Response with status, headers and text', async () => {
    const res = await judgeFetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: '{"x":1}',
    });
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-two')).toBe('a, b');
    expect(await res.json()).toEqual({ got: { x: 1 } });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/echo', body: '{"x":1}' });
    expect(seen[0].headers).toMatchObject({ authorization: 'Bearer k', 'accept-encoding': 'gzip, deflate, br' });
  });

  it('takes headers as a Headers object too', async () => {
    await judgeFetch(`${base}/echo`, { method: 'POST', headers: new Headers({ 'X-Key': 'v' }), body: '1' });
    expect(seen[0].headers['x-key']).toBe('v');
  });

  it('keeps an error status, its status text, headers and body for the SDK to read', async () => {
    const res = await judgeFetch(`${base}/bad`, { method: 'POST', body: '{}' });
    expect(res.ok).toBe(false);
    expect(res.status).toBe(429);
    expect(res.statusText).toBe('Slow Down');
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.text()).toBe('{"error":"busy"}');
  });

  it('follows redirects and decodes gzip answers, as fetch does', async () => {
    const moved = await judgeFetch(`${base}/moved`, { method: 'POST', body: '{"y":2}' });
    expect(await moved.json()).toEqual({ got: { y: 2 } });
    expect(seen.map((s) => s.url)).toEqual(['/moved', '/echo']);
    expect(await (await judgeFetch(`${base}/gzip`)).json()).toEqual({ a: 1 });
  });

  it('answers a 204 with no body', async () => {
    const res = await judgeFetch(`${base}/empty`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
  });

  it('rejects with TypeError("fetch failed") and the cause when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const error = await judgeFetch(`http://127.0.0.1:${port}/x`, { method: 'POST', body: '{}' }).catch((e) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fetch failed');
    expect(error.cause.code).toBe('ECONNREFUSED');
  });

  it("rejects with the signal's reason when aborted", async () => {
    const controller = new AbortController();
    const reason = new Error('our timeout');
    setTimeout(() => controller.abort(reason), 50);
    await expect(judgeFetch(`${base}/slow`, { method: 'POST', body: '{}', signal: controller.signal })).rejects.toBe(
      reason,
    );
  });
});

describe('judgeFetch behind a proxy', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('goes through HTTP_PROXY when NODE_USE_ENV_PROXY=1, as Node fetch does', async () => {
    const seen: string[] = [];
    const proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"via":"proxy"}');
    });
    proxy.on('connect', (req, socket) => {
      seen.push(`CONNECT ${req.url}`);
      socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    process.env.NODE_USE_ENV_PROXY = '1';
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    let proxied!: typeof judgeFetch;
    jest.isolateModules(() => ({ judgeFetch: proxied } = jest.requireActual('./judge-fetch')));
    const res = await proxied('http://judge.invalid/v1/chat/completions', { method: 'POST', body: '{}' }).catch(
      (e) => e,
    );
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    expect(seen[0]).toMatch(/judge\.invalid/);
    expect(res instanceof Response ? await res.json() : res).toEqual({ via: 'proxy' });
  });

  it('takes the setting from NODE_USE_ENV_PROXY or --use-env-proxy', () => {
    const { usesEnvProxy } = jest.requireActual('./judge-fetch');
    expect(usesEnvProxy({}, [])).toBe(false);
    expect(usesEnvProxy({ NODE_USE_ENV_PROXY: '1' }, [])).toBe(true);
    expect(usesEnvProxy({}, ['--use-env-proxy'])).toBe(true);
  });
});
