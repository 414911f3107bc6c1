import type { NextFunction, Request, Response } from 'express';
import sjson from 'secure-json-parse';
import { DomainError, ErrorCode } from '../errors/domain.error';

/** Deeper JSON than this is refused before parsing: recursive validation would exhaust the stack. */
export const MAX_JSON_DEPTH = 100;

const refuse = (message: string, type = 'entity.unstorable') =>
  Object.assign(new Error(message), { status: 422, type });

const hexAt = (buf: Buffer, at: number): number => {
  const text = buf.toString('latin1', at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(text) ? parseInt(text, 16) : -1;
};
const isNumberByte = (c: number) =>
  (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;

/** Requests whose raw body cannot hold a `__proto__` key (see assertJsonText). */
const FREE_OF_PROTO_KEYS = new WeakSet<object>();

/**
 * body-parser `verify` hook: one pass over the raw bytes, before parsing, refusing with 422 what
 * would fail later in a worse place:
 * - nesting deeper than MAX_JSON_DEPTH (recursive validation would exhaust the stack);
 * - `\u0000` and lone surrogates (`\ud800`) in any string or key: PostgreSQL refuses them in text and
 *   jsonb, and one such trace used to fail a whole ingestion batch;
 * - numbers beyond double precision (`1e400`): JSON.parse makes them Infinity, stored as null.
 */
export function assertJsonText(req: object, _res: unknown, buf: Buffer): void {
  // A key can only spell __proto__ literally or through \u escapes: without either, the parsed body
  // has none, and stripProtoKeys need not walk it (that walk was ~6 % of an ingesting API's CPU).
  if (!buf.includes('__proto__') && !buf.includes('\\u')) FREE_OF_PROTO_KEYS.add(req);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) {
        if (buf[i + 1] !== 0x75) {
          i++; // backslash: skip the escaped character
          continue;
        }
        const code = hexAt(buf, i + 2);
        if (code === 0) throw refuse('JSON strings must not contain NUL characters (\\u0000).');
        if (code >= 0xdc00 && code <= 0xdfff) throw refuse('JSON strings must not contain lone UTF-16 surrogates.');
        if (code >= 0xd800 && code <= 0xdbff) {
          const low = buf[i + 6] === 0x5c && buf[i + 7] === 0x75 ? hexAt(buf, i + 8) : -1;
          if (low < 0xdc00 || low > 0xdfff) throw refuse('JSON strings must not contain lone UTF-16 surrogates.');
          i += 6;
        }
        i += 5;
      } else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH)
        throw refuse(`JSON is nested more than ${MAX_JSON_DEPTH} levels deep.`, 'entity.too.deep');
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      let exponent = false;
      for (; end < buf.length && isNumberByte(buf[end]); end++) exponent ||= (buf[end] | 0x20) === 0x65;
      // Only an exponent or 300+ digits can leave double precision: the common number is not even
      // made a string (a trace carries dozens of numbers).
      if (exponent || end - i > 300) {
        const token = buf.toString('latin1', i, end);
        if (!Number.isFinite(Number(token)))
          throw refuse(`JSON number ${token.slice(0, 40)} is beyond double precision.`);
      }
      i = end - 1;
    }
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
    if (Buffer.isBuffer(req.body)) return next(); // a binary body a route asked for (OTLP protobuf), parsed before this
    return next(new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Content-Type must be application/json.'));
  }
  next();
}

/** Objects of parsed bodies that had a `__proto__` key before stripProtoKeys removed it. */
const HAD_PROTO_KEY = new WeakSet<object>();

/** Whether `value` (an object of a parsed body) was sent with a `__proto__` key, now removed. */
export const hadProtoKey = (value: object): boolean => HAD_PROTO_KEY.has(value);

function markProtoHolders(value: unknown, depth = 0): void {
  if (typeof value !== 'object' || value === null || depth > MAX_JSON_DEPTH) return;
  if (Object.prototype.hasOwnProperty.call(value, '__proto__')) HAD_PROTO_KEY.add(value);
  for (const child of Object.values(value)) markProtoHolders(child, depth + 1);
}

/**
 * Removes `__proto__` keys from parsed bodies (prototype pollution once merged or spread) with
 * secure-json-parse, and keeps every other key, `constructor` included, as sent. The objects that
 * had one are remembered (hadProtoKey), so a field whose keys are checked can refuse it by name.
 */
export function stripProtoKeys(req: Request, _res: Response, next: NextFunction): void {
  if (req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body) && !FREE_OF_PROTO_KEYS.has(req)) {
    markProtoHolders(req.body);
    sjson.scan(req.body, { protoAction: 'remove', constructorAction: 'ignore' });
  }
  next();
}
