import { HttpStatus } from '@nestjs/common';
import { ErrorCode } from './domain.error';

export function httpStatusFor(code: ErrorCode): HttpStatus {
  switch (code) {
    case ErrorCode.VALIDATION_FAILED:
    case ErrorCode.JUDGE_PROVIDER_UNAVAILABLE:
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case ErrorCode.NOT_FOUND:
      return HttpStatus.NOT_FOUND;
    case ErrorCode.CONFLICT:
      return HttpStatus.CONFLICT;
    case ErrorCode.UNAUTHENTICATED:
      return HttpStatus.UNAUTHORIZED;
    case ErrorCode.FORBIDDEN:
      return HttpStatus.FORBIDDEN;
    case ErrorCode.PAYLOAD_TOO_LARGE:
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case ErrorCode.UNSUPPORTED_MEDIA_TYPE:
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    case ErrorCode.RATE_LIMITED:
      return HttpStatus.TOO_MANY_REQUESTS;
    case ErrorCode.JUDGE_CALL_FAILED:
    case ErrorCode.JUDGE_INVALID_OUTPUT:
      return HttpStatus.BAD_GATEWAY;
    case ErrorCode.DEPENDENCY_UNAVAILABLE:
      return HttpStatus.SERVICE_UNAVAILABLE;
    default: {
      const never: never = code;
      throw new Error(`Unmapped error code ${String(never)}`);
    }
  }
}
