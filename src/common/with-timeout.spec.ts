import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  it('answers as the promise does when it settles in time', async () => {
    await expect(withTimeout(Promise.resolve('PONG'), 1_000)).resolves.toBe('PONG');
    await expect(withTimeout(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });

  it('rejects with the message once the time is up, and a late rejection of the work is handled', async () => {
    const late = sleep(50).then(() => Promise.reject(new Error('late')));
    await expect(withTimeout(late, 10, 'no answer in 10 ms')).rejects.toThrow('no answer in 10 ms');
    await expect(withTimeout(sleep(50), 10)).rejects.toThrow('timed out after 10 ms');
    await sleep(60);
  });
});
