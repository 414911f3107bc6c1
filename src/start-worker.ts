import { NestFactory } from '@nestjs/core';
import { AppLogger } from './bootstrap/logging.module';
import type { AppConfig } from './config/env';
import { WorkerModule } from './worker.module';

/** The worker process proper, loaded by worker.ts once its dependencies answer. */
export async function startWorker(config: AppConfig): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  const logger = app.get(AppLogger);
  app.useLogger(logger);
  // On SIGTERM the processor takes no new job, the executor lets in-flight items finish (up to
  // EVAL_SHUTDOWN_GRACE_MS) and gives back every lease; the active jobs then complete and the
  // sweeper re-enqueues their unfinished slices from PostgreSQL. Items a killed worker left are
  // taken over once their lease (EVAL_ITEM_LEASE_MS) runs out.
  app.enableShutdownHooks();
  await app.init();
  logger.log(`worker started: eval-run jobs from the ${config.redis.queuePrefix} queues`, 'Worker');
}
