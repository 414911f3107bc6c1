import { DynamicModule, Module } from '@nestjs/common';
import { HttpDrain } from './bootstrap/http-drain';
import { BACKGROUND_MODULES, processBaseModules } from './bootstrap/process-modules';
import { ThrottleModule } from './bootstrap/throttle.module';
import { AppConfig, loadConfig } from './config/env';
import { AnalyticsModule } from './modules/analytics/analytics.module';
import { CustomMetricsModule } from './modules/custom-metrics/custom-metrics.module';
import { EvalRunsModule } from './modules/eval-runs/eval-runs.module';
import { AuthBootstrapModule, AuthModule } from './modules/auth/auth.module';
import { HealthModule } from './modules/health/health.module';
import { MetricsApiModule } from './modules/metrics/metrics-api.module';
import { MonitorsModule } from './modules/monitors/monitors.module';
import { OperatorsModule } from './modules/operators/operators.module';
import { OtlpModule } from './modules/otlp/otlp.module';
import { ScoresModule } from './modules/scores/scores.module';
import { SessionsModule } from './modules/sessions/sessions.module';
import { TracesModule } from './modules/traces/traces.module';
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
        ...processBaseModules(config),
        ThrottleModule,
        AuthModule,
        AuthBootstrapModule,
        HealthModule,
        // Before TracesModule: its routes must be matched before /traces/:trace_id.
        AnalyticsModule,
        TracesModule,
        OtlpModule,
        SessionsModule,
        MetricsApiModule,
        CustomMetricsModule,
        EvalRunsModule,
        ...(config.runWorkerInProcess ? BACKGROUND_MODULES : []),
        ScoresModule,
        MonitorsModule,
        OperatorsModule,
        SubscriptionsModule,
        CliAuthModule,
      ],
    };
  }
}
