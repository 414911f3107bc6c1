import { Injectable, Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Logger, LoggerModule } from 'nestjs-pino';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/env';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Nest's start-up chatter (one line per module and per route): debug, not info. */
const START_UP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** The nestjs-pino logger, with Nest's start-up chatter moved down to debug. */
@Injectable()
export class AppLogger extends Logger {
  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && START_UP_CONTEXTS.has(context)) super.debug(message, ...optionalParams);
    else super.log(message, ...optionalParams);
  }
}

const isDebug = (level: AppConfig['logLevel']) => level === 'debug' || level === 'trace';

/**
 * JSON logs, one short line per request at info (method, path, status, time, request id); the
 * request and response headers only at debug. An incoming X-Request-ID is kept (when sane) and
 * echoed. Credentials are redacted so API keys and tokens never reach the logs, even at debug.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          genReqId: (req, res) => {
            const incoming = req.headers['x-request-id'];
            const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
            res.setHeader('X-Request-ID', id);
            return id;
          },
          quietReqLogger: true,
          ...(isDebug(config.logLevel)
            ? {}
            : {
                serializers: {
                  req: (req: IncomingMessage) => ({ method: req.method, url: req.url }),
                  res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
                },
              }),
          customSuccessMessage: (req, res, time) => `${req.method} ${req.url} ${res.statusCode} ${Math.round(time)} ms`,
          customErrorMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}`,
          redact: {
            paths: [
              'req.headers.authorization',
              'req.headers["x-api-key"]',
              'req.headers.cookie',
              'res.headers["set-cookie"]',
            ],
            censor: '[redacted]',
          },
          autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
        },
      }),
    }),
  ],
  providers: [AppLogger],
  exports: [AppLogger],
})
export class LoggingModule {}
