import { NestFactory } from '@nestjs/core';
import { startIdleGc } from './bootstrap/idle-gc';
import { AppLogger } from './bootstrap/logging.module';
import type { AppConfig } from './config/env';
import { EvalRunProcessor } from './modules/eval-runs/worker/eval-run.processor';
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
  // After a run the worker keeps the pages its heap grew into; at rest one collection gives them
  // back. Told before init, where the processor starts taking jobs.
  const idle = startIdleGc((message) => logger.log(message, 'IdleGc'));
  if (idle) app.get(EvalRunProcessor).activity = idle;
  await app.init();
  logger.log(`worker started: eval-run jobs from the ${config.redis.queuePrefix} queues`, 'Worker');
}
