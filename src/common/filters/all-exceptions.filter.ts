import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { DomainError } from '../errors/domain.error';
import { databaseBusy } from './database-errors';
import { httpStatusFor } from '../errors/http-status-for';
import { RequestValidationError } from '../validation/validation';

interface ErrorBody {
  detail: string;
  errors?: { field: string; message: string }[];
  error?: string;
  request_id?: string;
}

/** Body-parser failures carry a `type` and a `status` (malformed JSON, body too large, bad charset). */
function bodyParserError(e: unknown): { status: number; type: string; message: string; body?: string } | null {
  if (typeof e !== 'object' || e === null) return null;
  const err = e as { type?: unknown; status?: unknown; message?: unknown; body?: unknown };
  if (typeof err.type !== 'string' || typeof err.status !== 'number') return null;
  const body = typeof err.body === 'string' ? err.body : undefined;
  return { status: err.status, type: err.type, message: String(err.message), body };
}

/** The parser only takes objects and arrays: say so when the body is valid JSON of another kind. */
function parseFailureMessage(body: string | undefined): string {
  const first = body?.trimStart()[0];
  if (body !== undefined && first !== '{' && first !== '[') {
    try {
      JSON.parse(body);
      return 'Request body must be a JSON object or array.';
    } catch {
      // not JSON at all: fall through
    }
  }
  return 'Malformed JSON in request body.';
}

/** ioredis gave up on a command because the connection is down (a request that raced the watch). */
function isRedisConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    /^(Connection is closed\.|Stream isn't writeable and enableOfflineQueue options is false)/.test(e.message)
  );
}

/**
 * The one place where errors become HTTP. Every error body has `detail`; validation adds `errors`;
 * unexpected errors are logged and answered 500 with the request id and no internals.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    const busy = databaseBusy(exception);
    const [status, body] = busy ? [busy.status, { detail: busy.detail }] : this.toResponse(exception, req);
    const retryAfter =
      busy?.retryAfterSeconds ?? (exception instanceof DomainError ? exception.details?.retryAfterSeconds : undefined);
    if (typeof retryAfter === 'number' && !res.headersSent) res.setHeader('Retry-After', String(retryAfter));
    if (status >= 500 && !busy) {
      body.request_id = String(req.id ?? req.headers['x-request-id'] ?? '');
      this.logger.error({ err: exception, request_id: body.request_id, path: req.url }, 'Unhandled error');
    }
    if (!res.headersSent) res.status(status).json(body);
  }

  private toResponse(e: unknown, req: Request): [number, ErrorBody] {
    if (e instanceof RequestValidationError) {
      return [HttpStatus.UNPROCESSABLE_ENTITY, { detail: 'Validation error', errors: e.errors }];
    }
    if (e instanceof DomainError) {
      const status = httpStatusFor(e.code);
      const body: ErrorBody = { detail: e.message };
      if (typeof e.details?.error === 'string') body.error = e.details.error;
      return [status, body];
    }
    // Nest wraps body-parser errors in an HttpException and keeps the original as its cause.
    const parser = bodyParserError(e instanceof HttpException ? (e.cause ?? e) : e);
    if (parser) {
      if (parser.type === 'entity.too.large') {
        return [HttpStatus.PAYLOAD_TOO_LARGE, { detail: 'Request body is larger than the configured limit.' }];
      }
      if (parser.type === 'entity.too.deep' || parser.type === 'entity.unstorable') {
        return [
          HttpStatus.UNPROCESSABLE_ENTITY,
          { detail: 'Validation error', errors: [{ field: 'body', message: parser.message }] },
        ];
      }
      if (parser.type === 'entity.parse.failed') {
        return [
          HttpStatus.UNPROCESSABLE_ENTITY,
          { detail: 'Validation error', errors: [{ field: 'body', message: parseFailureMessage(parser.body) }] },
        ];
      }
      if (parser.status >= 400 && parser.status < 500) return [parser.status, { detail: parser.message }];
    }
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const response = e.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : typeof (response as { message?: unknown }).message === 'string'
            ? String((response as { message: string }).message)
            : e.message;
      if (status === HttpStatus.NOT_FOUND && message.startsWith('Cannot ')) {
        return [status, { detail: `Route ${req.method} ${req.path} not found.` }];
      }
      return [status, { detail: message }];
    }
    if (e instanceof QueryFailedError) {
      const code = (e.driverError as { code?: string } | undefined)?.code;
      // Values PostgreSQL refuses (bad uuid/timestamp text, out of range numbers, NUL bytes) are input errors.
      if (code && ['22P02', '22P05', '22007', '22008', '22003', '22021', '22001', '22023'].includes(code)) {
        return [HttpStatus.UNPROCESSABLE_ENTITY, { detail: 'Invalid value in request.' }];
      }
      if (code === '23505') return [HttpStatus.CONFLICT, { detail: 'Resource already exists.' }];
    }
    if (isRedisConnectionError(e)) {
      return [HttpStatus.SERVICE_UNAVAILABLE, { detail: 'Redis is unavailable: retry when it is back.' }];
    }
    return [HttpStatus.INTERNAL_SERVER_ERROR, { detail: 'Internal server error.' }];
  }
}
