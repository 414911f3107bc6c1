import { AppConfig } from '../../config/env';
import { LargeReadLimiter } from './large-read-limiter';

const limiter = (permits: number) =>
  new LargeReadLimiter({ bounds: { largeReadBytes: 100, maxLargeReads: permits } } as AppConfig);

describe('LargeReadLimiter', () => {
  it('lets small reads through without a permit, and refuses a large one when every permit is held', async () => {
    const l = limiter(1);
    const release = l.tryAcquire()!;
    expect(await l.run(100, async () => 'small')).toBe('small');
    await expect(l.run(101, async () => 'large')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { retryAfterSeconds: 1 },
    });
    release();
    release(); // idempotent: a second call frees nothing more
    expect(l.active).toBe(0);
    expect(await l.run(101, async () => 'large')).toBe('large');
  });

  it('holds the permit until the response is sent, and releases it at once when the read fails', async () => {
    const l = limiter(1);
    let sent: () => void = () => undefined;
    const responseSent = new Promise<void>((r) => (sent = r));
    expect(await l.run(500, async () => 'body', responseSent)).toBe('body');
    expect(l.active).toBe(1);
    await expect(l.run(500, async () => 'other')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    sent();
    await responseSent;
    await new Promise((r) => setImmediate(r));
    expect(l.active).toBe(0);

    await expect(l.run(500, () => Promise.reject(new Error('db down')), new Promise(() => undefined))).rejects.toThrow(
      'db down',
    );
    expect(l.active).toBe(0);
  });
});
