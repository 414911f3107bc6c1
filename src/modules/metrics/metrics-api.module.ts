import { Inject, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { JudgeController } from '../judge/judge.controller';
import { ProviderViews } from '../judge/provider-views';
import { adminAuthMiddleware } from '../operators/admin-auth.middleware';
import { MetricsController } from './metrics.controller';
import { MetricsModule } from './metrics.module';

/**
 * HTTP routes of the judge and metrics: GET /evaluations/session-metrics and
 * GET /evaluations/providers (GET /evaluations/trace-metrics is in CustomMetricsModule), behind @Auth(); the operators' GET /admin/judge-providers behind
 * ADMIN_TOKEN. Imported by the API root only: its guards need the AuthModule, which the worker
 * process does not load.
 */
@Module({
  imports: [MetricsModule],
  controllers: [MetricsController, JudgeController],
  providers: [ProviderViews],
})
export class MetricsApiModule implements NestModule {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(adminAuthMiddleware(this.config.auth.adminToken)).forRoutes('admin/judge-providers');
  }
}
