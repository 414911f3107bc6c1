import { AppConfigModule } from '../config/config.module';
import type { AppConfig } from '../config/env';
import { DatabaseModule } from '../database/database.module';
import { EvalRunsWorkerModule } from '../modules/eval-runs/eval-runs-worker.module';
import { MonitorsWorkerModule } from '../modules/monitors/monitors-worker.module';
import { QuotasModule } from '../modules/quotas/quotas.module';
import { RetentionModule } from '../modules/retention/retention.module';
import { QueueModule } from '../queue/queue.module';
import { LoggingModule } from './logging.module';

/** What every process (HTTP and worker) imports first: config, logging, the database, quotas, the queue. */
export const processBaseModules = (config: AppConfig) => [
  AppConfigModule.forRoot(config),
  LoggingModule,
  DatabaseModule,
  QuotasModule,
  QueueModule,
];

/**
 * The background work: eval-run jobs, due monitors and trace retention; in the worker process, or
 * in the HTTP one with RUN_WORKER_IN_PROCESS=true.
 */
export const BACKGROUND_MODULES = [EvalRunsWorkerModule, MonitorsWorkerModule, RetentionModule];
