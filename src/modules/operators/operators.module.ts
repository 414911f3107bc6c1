import { Inject, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { adminAuthMiddleware, metricsAuthMiddleware, offlineBoardMiddleware } from './admin-auth.middleware';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { BULL_BOARD_ROUTE, LazyBullBoard } from './lazy-bull-board';
import { MetricsController } from './metrics.controller';
import { ObservabilityModule } from './observability.module';
import { ScrapeMetricsCollector } from './scrape-metrics.collector';
import { WorkerMetricsStore } from './worker-metrics.store';

/** Operator endpoints of the API process: `/metrics`, `/admin/queues`, and HTTP timing of every request. */
@Module({
  imports: [ObservabilityModule],
  controllers: [MetricsController],
  providers: [ScrapeMetricsCollector, WorkerMetricsStore, LazyBullBoard],
})
export class OperatorsModule implements NestModule {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bullBoard: LazyBullBoard,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
    consumer
      .apply(adminAuthMiddleware(this.config.auth.adminToken), offlineBoardMiddleware(), this.bullBoard.handle)
      .forRoutes(BULL_BOARD_ROUTE);
    consumer.apply(metricsAuthMiddleware(this.config)).forRoutes('metrics');
  }
}
