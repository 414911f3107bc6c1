import { once } from 'node:events';
import type { Response } from 'express';

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
        const chunk = (first ? '[' : ',') + JSON.stringify(item);
        first = false;
        if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        if (res.destroyed) return; // the client went away: stop reading pages
      }
    }
    res.end(first ? '[]' : ']');
  } catch (error) {
    if (first) throw error; // nothing sent yet: the global filter answers as usual
    res.destroy(error as Error);
  }
}
