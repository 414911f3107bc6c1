import http from 'node:http';
import { createTestApp } from '../support/test-app';
import { createTenant } from '../support/tenancy';

describe('graceful shutdown under load', () => {
  it('closes while a keep-alive client keeps sending, telling it to close its connection', async () => {
    const t = await createTestApp({ RATE_LIMIT_DEFAULT: '1000000' });
    const tenant = await createTenant(t);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const url = new URL('/projects/current', t.baseUrl);
    let stop = false;
    let closeHeaders = 0;
    const get = () =>
      new Promise<void>((resolve) => {
        const req = http.get(url, { agent, headers: tenant.headers }, (res) => {
          if (res.headers.connection === 'close') closeHeaders++;
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', () => resolve());
      });
    const client = async () => {
      while (!stop) await get();
    };
    const clients = Array.from({ length: 4 }, client);
    await new Promise((r) => setTimeout(r, 300));
    // Without draining, server.close() waits for these busy keep-alive connections forever.
    await t.close();
    stop = true;
    await Promise.all(clients);
    agent.destroy();
    expect(closeHeaders).toBeGreaterThan(0);
  });
});
