import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './bootstrap/configure-app';
import { startApiIdleGc } from './bootstrap/idle-gc';
import { AppLogger } from './bootstrap/logging.module';
import { DependencyError } from './bootstrap/preflight';
import { setupSwagger } from './bootstrap/swagger';
import type { AppConfig } from './config/env';

/** The API process proper, loaded by main.ts once its dependencies answer. */
export async function startApi(config: AppConfig): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  configureApp(app, config);
  setupSwagger(app);
  // Development mode without credentials (AUTH_ENABLED=false) answers anyone as the local user:
  // only this machine may reach it.
  const host = config.auth.enabled ? '0.0.0.0' : '127.0.0.1';
  try {
    await app.listen(config.port, host);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EADDRINUSE') throw e;
    await app.close().catch(() => undefined);
    throw new DependencyError(
      `Port ${config.port} is already in use (PORT=${config.port}): stop what listens there, or set PORT to a free port.`,
    );
  }
  const logger = app.get(AppLogger);
  if (!config.auth.enabled) {
    logger.warn(
      `AUTH_ENABLED=false: requests without credentials act as the local development user; listening on ${host} only`,
      'Main',
    );
  }
  logger.log(`API listening on port ${config.port}`, 'Main');
  // With the worker in this process, quiet HTTP does not mean at rest: eval-run jobs may be running.
  if (!config.runWorkerInProcess) startApiIdleGc(app.getHttpServer(), (message) => logger.log(message, 'IdleGc'));
}
