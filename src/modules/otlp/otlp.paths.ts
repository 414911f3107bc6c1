import type { NextFunction, Request, Response } from 'express';

/**
 * Where OTLP/HTTP exporters post traces: `/v1/traces` is what they append to OTEL_EXPORTER_OTLP_ENDPOINT
 * when it is our base URL; `/otlp/v1/traces` is the same route under a prefix, for a base URL of
 * `…/otlp` (e.g. behind a proxy that routes by prefix).
 */
export const OTLP_TRACE_PATHS = ['/v1/traces', '/otlp/v1/traces'];

/** The protobuf media type of OTLP/HTTP; the other is application/json. */
export const OTLP_PROTOBUF = 'application/x-protobuf';

/**
 * OTLP/HTTP says an undecodable body is a 400 (elsewhere malformed JSON is our 422): the parser's
 * error is retyped so the error filter answers with its status and message.
 */
export function otlpParseErrors(err: unknown, _req: Request, _res: Response, next: NextFunction): void {
  const e = err as { type?: unknown; status?: unknown };
  if (e && e.type === 'entity.parse.failed')
    next(Object.assign(err as Error, { type: 'otlp.parse.failed', status: 400 }));
  else next(err);
}
