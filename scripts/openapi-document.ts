import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from '../src/app.module';
import { configureApp } from '../src/bootstrap/configure-app';
import { buildOpenApiDocument } from '../src/bootstrap/swagger';
import { AppConfig } from '../src/config/env';

/** Builds the OpenAPI document exactly as the running API serves it, without listening. */
export async function renderOpenApiDocument(config: AppConfig): Promise<OpenAPIObject> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  configureApp(app, config);
  await app.init();
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

export const serializeDocument = (doc: OpenAPIObject) => `${JSON.stringify(doc, null, 2)}\n`;
