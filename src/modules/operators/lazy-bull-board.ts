import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { EVAL_RUNS_QUEUE } from '../../queue/queue.constants';

/** Where operators open Bull Board (behind ADMIN_TOKEN). */
export const BULL_BOARD_ROUTE = '/admin/queues';

/**
 * Bull Board, loaded on its first authenticated request rather than at start: its packages and UI
 * routes cost the API ~8 MB of heap that a deployment nobody opens the board on would carry for
 * nothing (docs/performance.md). The admin check runs before this handler, so an anonymous request
 * never loads it.
 */
@Injectable()
export class LazyBullBoard {
  private router?: Promise<RequestHandler>;

  constructor(@InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue) {}

  readonly handle = (req: Request, res: Response, next: NextFunction): void => {
    this.router ??= this.build();
    this.router.then((router) => router(req, res, next), next);
  };

  private async build(): Promise<RequestHandler> {
    const [{ createBullBoard }, { BullAdapter }, { ExpressAdapter }] = await Promise.all([
      import('@bull-board/api'),
      import('@bull-board/api/bullAdapter'),
      import('@bull-board/express'),
    ]);
    const serverAdapter = new ExpressAdapter();
    serverAdapter.setBasePath(BULL_BOARD_ROUTE);
    createBullBoard({
      queues: [new BullAdapter(this.queue)],
      // @bull-board/express pins its own copy of @bull-board/api (one patch version apart):
      // identical at runtime, distinct to the type checker.
      serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
      options: { uiConfig: { boardTitle: 'PandaProbe queues' } },
    });
    return serverAdapter.getRouter() as RequestHandler;
  }
}
