import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import { json, raw } from 'express';
import helmet from 'helmet';
import qs from 'qs';
import { AppConfig } from '../config/env';
import { HttpDrain } from './http-drain';
import { LargeBodyGate } from './large-body-gate';
import { AppLogger } from './logging.module';
import { AllExceptionsFilter } from '../common/filters/all-exceptions.filter';
import { assertJsonText, requireJsonBodies, stripProtoKeys } from '../common/validation/request-shape';
import { createValidationPipe } from '../common/validation/validation';
import { TimestampInterceptor } from '../common/timestamps';
import { OTLP_PROTOBUF, OTLP_TRACE_PATHS, otlpParseErrors } from '../modules/otlp/otlp.paths';

/** The HTTP pipeline, shared by main.ts and the end-to-end tests so both run the same thing. */
export function configureApp(app: INestApplication, config: AppConfig): void {
  const express = app as NestExpressApplication;
  express.useLogger(app.get(AppLogger));
  express.use(app.get(HttpDrain).middleware);
  express.use(securityHeaders);
  // Before any body is read: at most MAX_LARGE_BODIES bodies above LARGE_READ_BYTES in memory at once.
  express.use(new LargeBodyGate(config.bounds.largeReadBytes, config.bounds.maxLargeBodies).middleware);
  // OTLP/HTTP protobuf bodies, on the OTLP routes only, gzip inflated, within the same body limit.
  express.use(OTLP_TRACE_PATHS, raw({ limit: config.bodyLimitBytes, type: OTLP_PROTOBUF }));
  express.use(requireJsonBodies);
  // express.json directly: Nest's useBodyParser does not accept a `verify` hook.
  express.use(
    json({ limit: config.bodyLimitBytes, type: ['application/json', 'application/*+json'], verify: assertJsonText }),
  );
  express.use(OTLP_TRACE_PATHS, otlpParseErrors);
  express.use(stripProtoKeys);
  express.set('query parser', parseQuery);
  express.disable('x-powered-by');
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  // Every timestamp of every JSON answer in one format (src/common/timestamps.ts).
  app.useGlobalInterceptors(new TimestampInterceptor());
  enableCors(app, config.security.corsOrigins);
  app.enableShutdownHooks();
}

/**
 * Express's 'extended' parser (qs) turns a parameter repeated more than 20 times into an object, so
 * `tags` had a hidden limit of 20 on GET /traces while bodies allow MAX_TAGS. The validators own the
 * limits: qs only has to keep repeated parameters as arrays.
 */
function parseQuery(text: string): qs.ParsedQs {
  return qs.parse(text, { allowPrototypes: true, arrayLimit: 1000 });
}

/**
 * Operator pages (Bull Board, metrics): never reachable cross-origin, whatever CORS_ORIGINS says.
 * Case-insensitive, as Express routes are: /ADMIN/queues reaches the board too.
 */
const OPERATOR_PATH = /^\/(admin|metrics)(\/|$)/i;
/** HTML pages that need their own scripts and styles; everything else is JSON and gets the strict policy. */
const HTML_PATH = /^\/(docs|admin)(\/|$)/i;

const strictHeaders = helmet();
const htmlHeaders = helmet({ contentSecurityPolicy: false });

function securityHeaders(req: Request, res: Parameters<typeof strictHeaders>[1], next: (e?: unknown) => void): void {
  (HTML_PATH.test(req.path) ? htmlHeaders : strictHeaders)(req, res, next);
}

/**
 * CORS is off unless CORS_ORIGINS lists origins; then only those origins get CORS headers, and
 * never on the operator paths (their Basic/Bearer login must not be drivable from another page).
 */
function enableCors(app: INestApplication, origins: string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.enableCors((req: Request, callback: (err: Error | null, options: object) => void) => {
    if (OPERATOR_PATH.test(req.path)) return callback(null, { origin: false });
    callback(null, {
      origin: (origin: string | undefined, cb: (e: Error | null, allow: boolean) => void) =>
        cb(null, origin !== undefined && allowed.has(origin)),
      credentials: true,
      exposedHeaders: ['X-Request-ID', 'Retry-After', 'X-Project-Created'],
    });
  });
}
