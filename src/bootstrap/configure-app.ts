import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '../config/env';
import { HttpDrain } from './http-drain';
import { AllExceptionsFilter } from '../common/filters/all-exceptions.filter';
import { assertJsonDepth, requireJsonBodies } from '../common/validation/request-shape';
import { createValidationPipe } from '../common/validation/validation';

/** The HTTP pipeline, shared by main.ts and the end-to-end tests so both run the same thing. */
export function configureApp(app: INestApplication, config: AppConfig): void {
  const express = app as NestExpressApplication;
  express.useLogger(app.get(Logger));
  express.use(app.get(HttpDrain).middleware);
  express.use(requireJsonBodies);
  // express.json directly: Nest's useBodyParser does not accept a `verify` hook.
  express.use(
    json({ limit: config.bodyLimitBytes, type: ['application/json', 'application/*+json'], verify: assertJsonDepth }),
  );
  express.set('query parser', 'extended');
  express.disable('x-powered-by');
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableCors({
    origin: true,
    credentials: true,
    exposedHeaders: ['X-Request-ID', 'Retry-After'],
  });
  app.enableShutdownHooks();
}
