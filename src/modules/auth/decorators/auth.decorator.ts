import { applyDecorators, UseGuards } from '@nestjs/common';
import {
  ApiExtension,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiSecurity,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ErrorResponseDto, ValidationErrorResponseDto } from '../../../common/dto/error-response.dto';
import { BearerAuthGuard } from '../guards/bearer-auth.guard';
import { IngestRateGuard } from '../guards/ingest-rate.guard';
import { ProjectAuthGuard } from '../guards/project-auth.guard';
import { RATE_LIMITS, RateLimitGuard, RateLimitName } from '../guards/rate-limit.guard';

export const SECURITY = {
  apiKey: 'ApiKey',
  projectName: 'ProjectName',
  bearer: 'Bearer',
  projectId: 'ProjectID',
} as const;

export interface AuthOptions {
  /** Which named rate limit applies to the route (default: `default`). */
  limit?: RateLimitName;
}

/**
 * Only the chosen limit applies: every other named throttler is skipped for the route. The document
 * names it (`x-rate-limit`), so the route's 429 example quotes that limit. Every name is set (the
 * chosen one to "not skipped"), so a route's choice overrides its controller's whole.
 */
function onlyLimit(limit: RateLimitName) {
  return applyDecorators(
    SkipThrottle(Object.fromEntries(RATE_LIMITS.map((l) => [l, l !== limit]))),
    ApiExtension('x-rate-limit', limit),
  );
}

/**
 * On a route of a `ProjectController` or `UserController`: another named window limit than the
 * controller's `default`. Only metadata: the controller's guards (RateLimitGuard) enforce it. Not
 * `ingest`, whose limiter is another guard (see `ProjectController`'s `limit`).
 */
export const RateLimit = (limit: Exclude<RateLimitName, 'ingest'>) => onlyLimit(limit);

const errorResponses = () =>
  applyDecorators(
    ApiUnauthorizedResponse({
      description: 'Missing, invalid, revoked or expired credentials.',
      type: ErrorResponseDto,
    }),
    ApiForbiddenResponse({ description: 'The caller is not a member of the organization.', type: ErrorResponseDto }),
    ApiUnprocessableEntityResponse({ description: 'Invalid input.', type: ValidationErrorResponseDto }),
    ApiTooManyRequestsResponse({ description: 'Rate limit exceeded; see Retry-After.', type: ErrorResponseDto }),
  );

/**
 * A data-plane route: API key + X-Project-Name, or Bearer + X-Project-ID; then the named rate limit.
 * Declares the enforcement and its Swagger security together, so they cannot drift apart.
 */
export function Auth(options: AuthOptions = {}) {
  const limit = options.limit ?? 'default';
  // Ingestion has its own per-project token bucket instead of a window counter.
  const limiter = limit === 'ingest' ? IngestRateGuard : RateLimitGuard;
  return applyDecorators(
    UseGuards(ProjectAuthGuard, limiter),
    onlyLimit(limit),
    ApiSecurity({ [SECURITY.apiKey]: [], [SECURITY.projectName]: [] }),
    ApiSecurity({ [SECURITY.bearer]: [], [SECURITY.projectId]: [] }),
    ApiNotFoundResponse({ description: 'Not found in this project.', type: ErrorResponseDto }),
    errorResponses(),
  );
}

/** A route that takes no credentials (the CLI's code exchange): the named limit, per client IP. */
export function PublicRoute(limit: RateLimitName) {
  return applyDecorators(
    UseGuards(RateLimitGuard),
    onlyLimit(limit),
    ApiUnprocessableEntityResponse({ description: 'Invalid input.', type: ValidationErrorResponseDto }),
    ApiTooManyRequestsResponse({ description: 'Rate limit exceeded; see Retry-After.', type: ErrorResponseDto }),
  );
}

/** A management route: Bearer JWT only, no project scope. */
export function UserAuth(options: AuthOptions = {}) {
  return applyDecorators(
    UseGuards(BearerAuthGuard, RateLimitGuard),
    onlyLimit(options.limit ?? 'default'),
    ApiSecurity({ [SECURITY.bearer]: [] }),
    ApiNotFoundResponse({ description: 'Not found in this organization.', type: ErrorResponseDto }),
    errorResponses(),
  );
}
