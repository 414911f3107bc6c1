import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule, BullBoardModuleOptions } from '@bull-board/nestjs';
import { Inject, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { EVAL_RUNS_QUEUE } from '../../queue/queue.constants';
import { adminAuthMiddleware, metricsAuthMiddleware } from './admin-auth.middleware';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { ObservabilityModule } from './observability.module';
import { ScrapeMetricsCollector } from './scrape-metrics.collector';
import { WorkerMetricsStore } from './worker-metrics.store';

/** Where operators look: Bull Board (behind ADMIN_TOKEN) and Prometheus metrics. */
export const BULL_BOARD_ROUTE = '/admin/queues';

/** Operator endpoints of the API process: `/metrics`, `/admin/queues`, and HTTP timing of every request. */
@Module({
  imports: [
    ObservabilityModule,
    BullBoardModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        route: BULL_BOARD_ROUTE,
        // @bull-board/express 9.10.1 pins its own copy of @bull-board/api (9.10.1, we have 9.10.2):
        // identical at runtime, distinct to the type checker.
        adapter: ExpressAdapter as unknown as BullBoardModuleOptions['adapter'],
        middleware: adminAuthMiddleware(config.auth.adminToken),
        boardOptions: { uiConfig: { boardTitle: 'PandaProbe queues' } },
      }),
    }),
    BullBoardModule.forFeature({ name: EVAL_RUNS_QUEUE, adapter: BullAdapter }),
  ],
  controllers: [MetricsController],
  providers: [ScrapeMetricsCollector, WorkerMetricsStore],
})
export class OperatorsModule implements NestModule {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
    consumer.apply(metricsAuthMiddleware(this.config)).forRoutes('metrics');
  }
}
