import type { NextFunction, Request, Response } from 'express';

/**
 * Bounds what large request bodies cost the API process's memory at once. A body of N bytes is held
 * several times over while it is handled (the raw chunks, the text, the parsed objects, the JSON
 * written to PostgreSQL): a 10 MiB trace is ~60 MiB of heap until its answer is sent. Requests
 * declaring more than `thresholdBytes` (or a chunked body of unknown length) take one of `permits`
 * before their body is read, held until the response is closed; the rest wait with their bytes
 * still in the socket (TCP pushes back on the client), so waiting costs no memory. Small requests
 * never wait. With this, the heap a process needs has a bound, which is what makes the start
 * scripts' --max-old-space-size safe (docs/performance.md).
 */
export class LargeBodyGate {
  private inUse = 0;
  private readonly waiting: Array<() => void> = [];
  /** Largest number of large bodies handled at once so far (tests and operators read it). */
  peak = 0;

  constructor(
    readonly thresholdBytes: number,
    readonly permits: number,
  ) {}

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (!this.isLarge(req)) return next();
    const admit = () => {
      if (req.destroyed) return this.admitNext(); // the client left while it waited
      this.inUse++;
      this.peak = Math.max(this.peak, this.inUse);
      res.once('close', () => this.release());
      next();
    };
    if (this.inUse < this.permits) return admit();
    this.waiting.push(admit);
    // A client that gives up while waiting leaves the queue (its permit is never taken).
    req.once('close', () => {
      const at = this.waiting.indexOf(admit);
      if (at >= 0) this.waiting.splice(at, 1);
    });
  };

  /** Large bodies being handled now, and waiting for a permit. */
  get active(): number {
    return this.inUse;
  }
  get queued(): number {
    return this.waiting.length;
  }

  private isLarge(req: Request): boolean {
    const length = req.headers['content-length'];
    if (length !== undefined) return Number(length) > this.thresholdBytes;
    return req.headers['transfer-encoding'] !== undefined;
  }

  private release(): void {
    this.inUse--;
    this.admitNext();
  }

  private admitNext(): void {
    this.waiting.shift()?.();
  }
}
