import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './bootstrap/configure-app';
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
  try {
    await app.listen(config.port, '0.0.0.0');
  } catch (e) {
    if ((e as { code?: string }).code !== 'EADDRINUSE') throw e;
    await app.close().catch(() => undefined);
    throw new DependencyError(
      `Port ${config.port} is already in use (PORT=${config.port}): stop what listens there, or set PORT to a free port.`,
    );
  }
  app.get(AppLogger).log(`API listening on port ${config.port}`, 'Main');
}
