import { once } from 'node:events';
import type { Response } from 'express';
import { normalizeTimestamps } from './timestamps';

/**
 * Writes pages of items as one JSON array, page by page, waiting whenever the client reads slower
 * than the pages come: memory stays at one page whatever the total. A failure after the first byte
 * can only cut the response (the client sees invalid JSON, never a truncated valid one).
 */
export async function streamJsonArray(res: Response, pages: AsyncIterable<unknown[]>): Promise<void> {
  res.status(200).type('application/json');
  let first = true;
  try {
    for await (const page of pages) {
      for (const item of page) {
        const chunk = (first ? '[' : ',') + JSON.stringify(normalizeTimestamps(item));
        first = false;
        if (!res.write(chunk)) await drainedOrClosed(res);
        if (res.destroyed) return; // the client went away: stop reading pages
      }
    }
    res.end(first ? '[]' : ']');
  } catch (error) {
    if (first) throw error; // nothing sent yet: the global filter answers as usual
    res.destroy(error as Error);
  }
}

/** Waits for room in the socket buffer, or for the client to go away; leaves no listener behind. */
async function drainedOrClosed(res: Response): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([once(res, 'drain', { signal: done.signal }), once(res, 'close', { signal: done.signal })]);
  } finally {
    done.abort();
  }
}
