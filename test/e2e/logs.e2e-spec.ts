import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { TEST_ENV } from '../support/test-env';
import { freePort } from '../support/ports';

const ROOT = join(__dirname, '..', '..');

/** Starts the built API at a log level, makes one request, and returns the JSON lines it logged. */
async function logsOf(
  level: string,
): Promise<{ startup: Record<string, unknown>[]; request: Record<string, unknown>[] }> {
  const port = await freePort();
  const api: ChildProcess = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...TEST_ENV, LOG_LEVEL: level, PORT: String(port) },
  });
  let out = '';
  api.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    while (!out.includes('API listening on port')) {
      if (api.exitCode !== null) throw new Error(`API exited ${api.exitCode}: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const startupText = out;
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`, {
      headers: { 'X-Request-ID': 'log-check-1', Authorization: 'Bearer secret-token', 'User-Agent': 'log-check' },
    });
    expect(res.status).toBe(200);
    while (!out.slice(startupText.length).includes('log-check-1')) await new Promise((r) => setTimeout(r, 50));
    const parse = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { startup: parse(startupText), request: parse(out.slice(startupText.length)) };
  } finally {
    const exited = new Promise((r) => api.once('exit', r));
    api.kill('SIGTERM');
    await exited;
  }
}

describe('quiet logs', () => {
  it('info: a short start-up, then one short line per request (method, path, status, time, request id), no headers', async () => {
    const { startup, request } = await logsOf('info');
    expect(startup.map((l) => l.msg)).toEqual([
      'Nest application successfully started',
      expect.stringMatching(/^API listening on port \d+$/),
    ]);
    const lines = request.filter((l) => l.reqId === 'log-check-1');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line.msg).toMatch(/^GET \/health\/ready 200 \d+ ms$/);
    expect(line.req).toEqual({ method: 'GET', url: '/health/ready' });
    expect(JSON.stringify(line)).not.toMatch(/headers|secret-token|log-check"/);
    expect(JSON.stringify(line).length).toBeLessThan(300);
  }, 90_000);

  it('debug: the request line carries the headers, with credentials redacted', async () => {
    const { startup, request } = await logsOf('debug');
    expect(startup.some((l) => l.context === 'RoutesResolver')).toBe(true); // start-up detail lives at debug
    const line = request.find((l) => l.reqId === 'log-check-1' && l.res)!;
    const req = line.req as { headers: Record<string, string> };
    expect(req.headers['user-agent']).toBe('log-check');
    expect(req.headers.authorization).toBe('[redacted]');
  }, 90_000);
});
