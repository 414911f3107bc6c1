import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './bootstrap/configure-app';
import { AppLogger } from './bootstrap/logging.module';
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
  await app.listen(config.port, '0.0.0.0');
  app.get(AppLogger).log(`API listening on port ${config.port}`, 'Main');
}
