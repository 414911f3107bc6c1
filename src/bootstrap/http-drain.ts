import { BeforeApplicationShutdown, Injectable, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/** How long in-flight requests get after SIGTERM before their connections are cut. */
const DRAIN_DEADLINE_MS = 8_000;

/**
 * Graceful HTTP shutdown under load. `server.close()` alone waits for keep-alive connections to
 * go idle, which a busy client never lets happen. So once shutdown starts, every response asks
 * the client to close its connection, idle ones are closed at once, and whatever is left is cut
 * after a deadline. A 202 is only sent after its data is committed, so nothing accepted is lost.
 */
@Injectable()
export class HttpDrain implements OnModuleDestroy, BeforeApplicationShutdown {
  private draining = false;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** Registered first in the pipeline (configure-app.ts). */
  readonly middleware = (_req: Request, res: Response, next: NextFunction): void => {
    if (this.draining) res.setHeader('Connection', 'close');
    next();
  };

  /**
   * The first shutdown hook (HttpDrain is in the root module, whose hooks Nest calls first): drain
   * before other modules close Redis and friends, while requests can still be answered properly.
   */
  onModuleDestroy(): void {
    this.beforeApplicationShutdown();
  }

  beforeApplicationShutdown(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer?.() as Server | undefined;
    if (!server || this.draining) return;
    this.draining = true;
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), DRAIN_DEADLINE_MS).unref();
  }
}
