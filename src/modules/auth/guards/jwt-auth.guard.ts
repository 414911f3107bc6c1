import { ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AuthGuard } from '@nestjs/passport';
import { DomainError, unauthenticated } from '../../../common/errors/domain.error';
import { JWT_STRATEGY } from '../strategies/jwt.strategy';

/** passport-jwt behind a guard, with failures turned into our 401 body. */
@Injectable()
export class JwtAuthGuard extends AuthGuard(JWT_STRATEGY) {
  override handleRequest<T>(err: unknown, user: T, info: unknown, context?: ExecutionContext): T {
    if (err instanceof DomainError) throw err;
    // Anything else that failed while resolving the user is not the caller's business: the global
    // filter answers it without internals (never a database message inside a 401).
    if (err) throw err;
    if (!user) {
      // `info` comes from jsonwebtoken/passport-jwt (expired, bad signature, malformed, no token).
      const reason = info instanceof Error ? info.message : 'invalid token';
      const sent = context?.switchToHttp().getRequest<Request>().headers.authorization ?? '';
      if (/^Bearer\s+sk_pp_/i.test(sent))
        throw unauthenticated(
          `Invalid bearer token: ${reason}. That is an API key, not a JWT: send it as X-API-Key (with X-Project-Name).`,
        );
      throw unauthenticated(`Invalid bearer token: ${reason}.`);
    }
    return user;
  }
}
