import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { AddressInfo } from 'node:net';
import supertest from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/bootstrap/configure-app';
import { setupSwagger } from '../../src/bootstrap/swagger';
import { AppConfig, loadConfig } from '../../src/config/env';
import { TEST_ENV } from './test-env';

export interface TestApp {
  app: INestApplication;
  http: ReturnType<typeof supertest>;
  dataSource: DataSource;
  config: AppConfig;
  /** The app listens on a real port, for real clients such as the pandaprobe SDK. */
  baseUrl: string;
  close(): Promise<void>;
}

/** Boots the real AppModule with the real HTTP pipeline against the test database and Redis. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ ...TEST_ENV, ...env });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, bufferLogs: true });
  configureApp(app, config);
  setupSwagger(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    http: supertest(baseUrl),
    dataSource: app.get<DataSource>(getDataSourceToken()),
    config,
    baseUrl,
    close: () => app.close(),
  };
}
