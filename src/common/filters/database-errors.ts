import { HttpStatus } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';

export interface BusyAnswer {
  status: number;
  detail: string;
  retryAfterSeconds: number;
}

/** pg-pool's message when no connection was free within connectionTimeoutMillis. */
const ACQUIRE_TIMEOUT = /timeout exceeded when trying to connect/i;

/** The server refused a new connection: too many clients (53300), or starting or shutting down (57P03). */
const REFUSED_CONNECTION = new Set(['53300', '57P03']);

/**
 * The database bounds of docs/security.md as answers a client can act on: a connection not free in
 * time, a statement cut at its timeout or an idle transaction ended are 503s, and a lock not granted
 * in time is a 409; each with Retry-After, never a 500.
 */
export function databaseBusy(e: unknown): BusyAnswer | null {
  if (!(e instanceof Error)) return null;
  if (ACQUIRE_TIMEOUT.test(e.message)) {
    return busy(
      HttpStatus.SERVICE_UNAVAILABLE,
      'The database is busy: no connection was free in time (DATABASE_ACQUIRE_TIMEOUT_MS).',
    );
  }
  // Raised by the driver while connecting (not a QueryFailedError): seen with other processes holding
  // every connection the server allows.
  if (REFUSED_CONNECTION.has((e as { code?: string }).code ?? '')) {
    return busy(HttpStatus.SERVICE_UNAVAILABLE, 'The database refused a new connection (too many clients).');
  }
  if (!(e instanceof QueryFailedError)) return null;
  switch ((e.driverError as { code?: string } | undefined)?.code) {
    case '57014':
      return busy(
        HttpStatus.SERVICE_UNAVAILABLE,
        'A database statement ran out of time (DATABASE_STATEMENT_TIMEOUT_MS).',
      );
    case '25P03':
      return busy(
        HttpStatus.SERVICE_UNAVAILABLE,
        'A database transaction was idle too long (DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS).',
      );
    case '55P03':
      return busy(HttpStatus.CONFLICT, 'Another write holds this resource (DATABASE_LOCK_TIMEOUT_MS).');
    default:
      return null;
  }
}

const busy = (status: number, summary: string): BusyAnswer => ({
  status,
  detail: `${summary} Retry after 1 seconds.`,
  retryAfterSeconds: 1,
});
