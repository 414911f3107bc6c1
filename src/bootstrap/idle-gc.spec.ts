import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IDLE_GROWTH_BYTES, IDLE_QUIET_MS, IdleGc, startApiIdleGc } from './idle-gc';

const MB = 1024 * 1024;

/** An IdleGc on a fake clock and a fake RSS; `gc` lowers the RSS to `collectsTo`. */
function setup(startRss = 100 * MB, collectsTo = 100 * MB) {
  const state = { now: 0, rss: startRss, collections: 0 };
  const idle = new IdleGc(
    () => {
      state.collections += 1;
      state.rss = collectsTo;
    },
    () => state.rss,
    () => state.now,
  );
  return { idle, state };
}

describe('IdleGc', () => {
  it('collects once the API is at rest after growing, and not again until it grows again', () => {
    const { idle, state } = setup();
    idle.started();
    state.rss += IDLE_GROWTH_BYTES + MB;
    idle.ended();
    state.now += IDLE_QUIET_MS - 1;
    expect(idle.check()).toBeUndefined(); // not quiet long enough
    state.now += 1;
    expect(idle.check()).toEqual({ before: 100 * MB + IDLE_GROWTH_BYTES + MB, after: 100 * MB });
    expect(state.collections).toBe(1);
    state.now += 60_000;
    expect(idle.check()).toBeUndefined(); // nothing grew since
    expect(state.collections).toBe(1);
  });

  it('never collects while a request is in flight, however long', () => {
    const { idle, state } = setup();
    idle.started();
    state.rss += 100 * MB;
    state.now += 10 * 60_000;
    expect(idle.check()).toBeUndefined();
    idle.ended();
    state.now += IDLE_QUIET_MS;
    expect(idle.check()).toBeDefined();
  });

  it('leaves a process alone whose RSS grew less than the threshold (a trickle of health checks)', () => {
    const { idle, state } = setup();
    for (let i = 0; i < 10; i += 1) {
      idle.started();
      idle.ended();
      state.rss += IDLE_GROWTH_BYTES / 20;
      state.now += IDLE_QUIET_MS;
      expect(idle.check()).toBeUndefined();
    }
    expect(state.collections).toBe(0);
  });

  it('measures growth from the RSS after its last collection, not from the start', () => {
    const { idle, state } = setup(100 * MB, 130 * MB);
    state.rss = 150 * MB;
    state.now += IDLE_QUIET_MS;
    expect(idle.check()).toEqual({ before: 150 * MB, after: 130 * MB });
    state.rss = 130 * MB + IDLE_GROWTH_BYTES / 2; // under the threshold above the new baseline, 30+ above the start
    state.now += IDLE_QUIET_MS;
    expect(idle.check()).toBeUndefined();
  });
});

describe('startApiIdleGc', () => {
  it('does nothing without --expose-gc (no global gc)', async () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const server = createServer((_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const stop = startApiIdleGc(server, () => undefined);
    expect(server.listenerCount('request')).toBe(1); // only the handler: nothing watches requests
    stop();
    server.close();
  });

  it('with a global gc, counts the server requests in flight and collects once they end and RSS grew', async () => {
    const calls: unknown[] = [];
    (globalThis as { gc?: unknown }).gc = (options: unknown) => calls.push(options);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    let rss = 100 * MB;
    try {
      let finish!: () => void;
      const server = createServer((_req, res) => {
        finish = () => res.end('ok');
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const stop = startApiIdleGc(
        server,
        () => undefined,
        () => rss,
      );
      const answered = fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      while (!finish) await new Promise((r) => setImmediate(r));
      rss += 40 * MB;
      jest.advanceTimersByTime(10 * IDLE_QUIET_MS);
      expect(calls).toEqual([]); // the request is still in flight
      finish();
      await (await answered).text();
      jest.advanceTimersByTime(IDLE_QUIET_MS + 5_000);
      expect(calls).toEqual([{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
      stop();
      server.close();
    } finally {
      jest.useRealTimers();
      delete (globalThis as { gc?: unknown }).gc;
    }
  });
});
