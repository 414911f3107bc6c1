import { NestFactory } from '@nestjs/core';
import { AppLogger } from './bootstrap/logging.module';
import type { AppConfig } from './config/env';
import { WorkerModule } from './worker.module';

/** The worker process proper, loaded by worker.ts once its dependencies answer. */
export async function startWorker(config: AppConfig): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  const logger = app.get(AppLogger);
  app.useLogger(logger);
  // On SIGTERM Nest closes the Bull queue, which waits for the jobs in hand. Progress lives in
  // PostgreSQL, not in Redis: items a killed worker left unfinished are taken over by another
  // worker's sweep once their lease (EVAL_ITEM_LEASE_MS) runs out.
  app.enableShutdownHooks();
  await app.init();
  logger.log(`worker started: eval-run jobs from the ${config.redis.queuePrefix} queues`, 'Worker');
}
