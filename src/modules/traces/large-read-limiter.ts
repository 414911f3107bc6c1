import { Inject, Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';

/**
 * A trace read is built in this process (rows → objects → JSON text), which for a trace of several
 * MiB costs memory and event-loop time proportional to its size. Reads above LARGE_READ_BYTES take
 * one of MAX_LARGE_READS permits; with none free the caller gets a 429 with Retry-After at once
 * (queueing would only hold the memory of the waiting requests' sockets and still block later).
 * Smaller reads never wait. Per process: it bounds this process's memory and event loop.
 */
@Injectable()
export class LargeReadLimiter {
  readonly thresholdBytes: number;
  readonly permits: number;
  private inUse = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.thresholdBytes = config.bounds.largeReadBytes;
    this.permits = config.bounds.maxLargeReads;
  }

  /** Large reads in progress now. */
  get active(): number {
    return this.inUse;
  }

  /**
   * Runs `read` under a permit when `bytes` is large; throws the 429 when every permit is taken. The
   * permit is held until `heldUntil` settles too (the response was sent: serialising it is the other
   * half of the cost), or released at once if the read fails.
   */
  async run<T>(bytes: number, read: () => Promise<T>, heldUntil?: Promise<unknown>): Promise<T> {
    if (bytes <= this.thresholdBytes) return read();
    const release = this.tryAcquire();
    if (!release) {
      const summary = `Too many large reads in progress: at most ${this.permits} read${this.permits === 1 ? '' : 's'} of more than ${this.thresholdBytes} bytes at once (MAX_LARGE_READS)`;
      throw new DomainError(ErrorCode.RATE_LIMITED, `${summary}. Retry after 1 second.`, {
        error: summary,
        retryAfterSeconds: 1,
      });
    }
    try {
      const result = await read();
      if (heldUntil) void heldUntil.then(release, release);
      else release();
      return result;
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Takes a permit, returning its release (idempotent), or null when none is free. */
  tryAcquire(): (() => void) | null {
    if (this.inUse >= this.permits) return null;
    this.inUse++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse--;
    };
  }
}
