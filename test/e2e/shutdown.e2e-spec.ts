import http from 'node:http';
import { HttpDrain } from '../../src/bootstrap/http-drain';
import { createTestApp } from '../support/test-app';
import { createTenant } from '../support/tenancy';

describe('graceful shutdown under load', () => {
  it('closes while a keep-alive client keeps sending, telling it to close its connection', async () => {
    const t = await createTestApp({ RATE_LIMIT_DEFAULT: '1000000' });
    const tenant = await createTenant(t);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const url = new URL('/projects/current', t.baseUrl);
    let stop = false;
    let closed = false;
    const get = (via: http.Agent | false = agent) =>
      new Promise<string | undefined>((resolve) => {
        const req = http.get(url, { agent: via, headers: tenant.headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers.connection));
        });
        req.on('error', () => resolve(undefined));
      });
    const client = async () => {
      while (!stop) await get();
    };
    const clients = Array.from({ length: 4 }, client);
    try {
      await new Promise((r) => setTimeout(r, 300));
      // Draining starts with the first shutdown hook; started here by hand, so that a request is
      // surely answered while draining (no race with how fast the rest of shutdown goes). On a new
      // connection: draining closes idle keep-alive ones, which a pooled request could pick.
      t.app.get(HttpDrain).beforeApplicationShutdown();
      expect(await get(false)).toBe('close');
      // Without draining, server.close() waits for these busy keep-alive connections forever.
      await t.close();
      closed = true;
    } finally {
      stop = true;
      if (!closed) await t.close().catch(() => undefined);
      await Promise.all(clients);
      agent.destroy();
    }
  });
});
