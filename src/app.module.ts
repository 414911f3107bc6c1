import { DynamicModule, Module } from '@nestjs/common';
import { HttpDrain } from './bootstrap/http-drain';
import { LoggingModule } from './bootstrap/logging.module';
import { ThrottleModule } from './bootstrap/throttle.module';
import { AppConfigModule } from './config/config.module';
import { AppConfig, loadConfig } from './config/env';
import { DatabaseModule } from './database/database.module';
import { AnalyticsModule } from './modules/analytics/analytics.module';
import { CustomMetricsModule } from './modules/custom-metrics/custom-metrics.module';
import { EvalRunsWorkerModule } from './modules/eval-runs/eval-runs-worker.module';
import { EvalRunsModule } from './modules/eval-runs/eval-runs.module';
import { AuthBootstrapModule, AuthModule } from './modules/auth/auth.module';
import { HealthModule } from './modules/health/health.module';
import { MetricsApiModule } from './modules/metrics/metrics-api.module';
import { MonitorsWorkerModule } from './modules/monitors/monitors-worker.module';
import { MonitorsModule } from './modules/monitors/monitors.module';
import { OperatorsModule } from './modules/operators/operators.module';
import { ScoresModule } from './modules/scores/scores.module';
import { SessionsModule } from './modules/sessions/sessions.module';
import { TracesModule } from './modules/traces/traces.module';
import { RetentionModule } from './modules/retention/retention.module';
import { QueueModule } from './queue/queue.module';
import { CliAuthModule } from './modules/cli-auth/cli-auth.module';
import { SubscriptionsModule } from './modules/subscriptions/subscriptions.module';

/** The HTTP process. With RUN_WORKER_IN_PROCESS=true it also consumes eval-run jobs. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
    return {
      module: AppModule,
      providers: [HttpDrain],
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule,
        QueueModule,
        ThrottleModule,
        AuthModule,
        AuthBootstrapModule,
        HealthModule,
        // Before TracesModule: its routes must be matched before /traces/:trace_id.
        AnalyticsModule,
        TracesModule,
        SessionsModule,
        MetricsApiModule,
        CustomMetricsModule,
        EvalRunsModule,
        ...(config.runWorkerInProcess ? [EvalRunsWorkerModule, MonitorsWorkerModule, RetentionModule] : []),
        ScoresModule,
        MonitorsModule,
        OperatorsModule,
        SubscriptionsModule,
        CliAuthModule,
      ],
    };
  }
}
