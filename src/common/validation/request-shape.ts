import type { NextFunction, Request, Response } from 'express';
import { DomainError, ErrorCode } from '../errors/domain.error';

/** Deeper JSON than this is refused before parsing: recursive validation would exhaust the stack. */
export const MAX_JSON_DEPTH = 100;

/**
 * body-parser `verify` hook: one pass over the raw bytes counting bracket depth outside strings.
 * Throws an error that the global filter answers with 422.
 */
export function assertJsonDepth(_req: unknown, _res: unknown, buf: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw Object.assign(new Error(`JSON is nested more than ${MAX_JSON_DEPTH} levels deep.`), {
          status: 422,
          type: 'entity.too.deep',
        });
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * A write request whose body is not JSON would otherwise reach the handler as an empty body
 * (and, for a PATCH, change nothing yet answer 200). Refuse it with 415 instead.
 */
export function requireJsonBodies(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (WITH_BODY.has(req.method) && hasBody && !req.is(['application/json', 'application/*+json'])) {
    return next(new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Content-Type must be application/json.'));
  }
  next();
}
