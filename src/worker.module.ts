import { QuotasModule } from './modules/quotas/quotas.module';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggingModule } from './bootstrap/logging.module';
import { AppConfigModule } from './config/config.module';
import { AppConfig, loadConfig } from './config/env';
import { DatabaseModule } from './database/database.module';
import { EvalRunsWorkerModule } from './modules/eval-runs/eval-runs-worker.module';
import { MonitorsWorkerModule } from './modules/monitors/monitors-worker.module';
import { WorkerMetricsModule } from './modules/operators/worker-metrics.module';
import { RetentionModule } from './modules/retention/retention.module';
import { QueueModule } from './queue/queue.module';

/** The worker process: no HTTP, consumes eval-run jobs, fires due monitors and applies trace retention. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule,
        QuotasModule,
        QueueModule,
        WorkerMetricsModule,
        EvalRunsWorkerModule,
        MonitorsWorkerModule,
        RetentionModule,
      ],
    };
  }
}
