import express, { json } from 'express';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { LargeBodyGate } from './large-body-gate';

/** An express app with the gate before the JSON parser, as configure-app.ts has it; handlers wait for `release`. */
async function serve(gate: LargeBodyGate) {
  const app = express();
  app.use(gate.middleware);
  app.use(json({ limit: '5mb' }));
  const held: Array<() => void> = [];
  let handling = 0;
  let peakHandling = 0;
  app.post('/hold', (req, res) => {
    handling++;
    peakHandling = Math.max(peakHandling, handling);
    held.push(() => {
      handling--;
      res.json({ bytes: JSON.stringify(req.body).length });
    });
  });
  app.post('/now', (req, res) => res.json({ ok: true }));
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, held, server, peak: () => peakHandling };
}

/** Runs `test` against a server with `gate`, then closes it (keep-alive connections too). */
async function withServer(gate: LargeBodyGate, test: (s: Awaited<ReturnType<typeof serve>>) => Promise<void>) {
  const s = await serve(gate);
  try {
    await test(s);
  } finally {
    s.server.closeAllConnections();
    s.server.close();
  }
}

const body = (bytes: number) => JSON.stringify({ text: 'x'.repeat(bytes) });
const post = (url: string, text: string, signal?: AbortSignal) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text, signal });
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('LargeBodyGate', () => {
  it('handles at most `permits` large bodies at once; the others wait and then all succeed', async () => {
    const gate = new LargeBodyGate(1024, 2);
    await withServer(gate, async (s) => {
      const answers = [1, 2, 3].map(() => post(`${s.base}/hold`, body(200_000)));
      await until(() => s.held.length === 2 && gate.queued === 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(s.held).toHaveLength(2); // the third body is not read while two are handled
      s.held.shift()!();
      await until(() => s.held.length === 2);
      s.held.splice(0).forEach((release) => release());
      const statuses = await Promise.all(answers.map(async (a) => (await a).status));
      expect(statuses).toEqual([200, 200, 200]);
      expect(s.peak()).toBe(2);
      expect(gate.peak).toBe(2);
      expect(gate.active).toBe(0);
    });
  });

  it('never holds back small bodies, even with every permit taken', async () => {
    const gate = new LargeBodyGate(1024, 1);
    await withServer(gate, async (s) => {
      const large = post(`${s.base}/hold`, body(10_000));
      await until(() => s.held.length === 1);
      const small = await post(`${s.base}/now`, body(10));
      expect(small.status).toBe(200);
      s.held.shift()!();
      expect((await large).status).toBe(200);
    });
  });

  it('drops a waiting request whose client gave up, and leaks no permit', async () => {
    const gate = new LargeBodyGate(1024, 1);
    await withServer(gate, async (s) => {
      const first = post(`${s.base}/hold`, body(10_000));
      await until(() => s.held.length === 1);
      const abort = new AbortController();
      const gaveUp = post(`${s.base}/hold`, body(10_000), abort.signal).catch((e: Error) => e.name);
      await until(() => gate.queued === 1);
      abort.abort();
      expect(await gaveUp).toBe('AbortError');
      await until(() => gate.queued === 0);
      s.held.shift()!();
      expect((await first).status).toBe(200);
      await until(() => gate.active === 0);
      const next = post(`${s.base}/hold`, body(10_000));
      await until(() => s.held.length === 1);
      s.held.shift()!();
      expect((await next).status).toBe(200);
    });
  });
});
