/**
 * `promise`, or a rejection with `message` once `ms` pass; the timer is cleared either way. The
 * work itself is not cancelled (a Redis command, a ping): it only stops being waited for.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, message = `timed out after ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
