import { HttpStatus } from '@nestjs/common';
import { ErrorCode } from './domain.error';

/** The status of each code; a Record, so a new code without a status does not compile. */
const STATUS_OF: Record<ErrorCode, HttpStatus> = {
  VALIDATION_FAILED: HttpStatus.UNPROCESSABLE_ENTITY,
  JUDGE_PROVIDER_UNAVAILABLE: HttpStatus.UNPROCESSABLE_ENTITY,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  CONFLICT: HttpStatus.CONFLICT,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  JUDGE_CALL_FAILED: HttpStatus.BAD_GATEWAY,
  JUDGE_INVALID_OUTPUT: HttpStatus.BAD_GATEWAY,
  DEPENDENCY_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
};

export function httpStatusFor(code: ErrorCode): HttpStatus {
  const status = STATUS_OF[code];
  if (status === undefined) throw new Error(`Unmapped error code ${String(code)}`);
  return status;
}
