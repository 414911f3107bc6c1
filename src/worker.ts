import './config/dotenv';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigError, loadConfig } from './config/env';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // On SIGTERM the processor takes no new job, the executor lets in-flight items finish (up to
  // EVAL_SHUTDOWN_GRACE_MS) and gives back every lease; the active jobs then complete and the
  // sweeper re-enqueues their unfinished slices from PostgreSQL.
  app.enableShutdownHooks();
  await app.init();
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  console.error(err);
  process.exit(1);
});
