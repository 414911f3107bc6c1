import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { DomainError, unauthenticated } from '../../../common/errors/domain.error';
import { JWT_STRATEGY } from '../strategies/jwt.strategy';

/** passport-jwt behind a guard, with failures turned into our 401 body. */
@Injectable()
export class JwtAuthGuard extends AuthGuard(JWT_STRATEGY) {
  override handleRequest<T>(err: unknown, user: T, info: unknown): T {
    if (err instanceof DomainError) throw err;
    // Anything else that failed while resolving the user is not the caller's business: the global
    // filter answers it without internals (never a database message inside a 401).
    if (err) throw err;
    if (!user) {
      // `info` comes from jsonwebtoken/passport-jwt (expired, bad signature, malformed, no token).
      const reason = info instanceof Error ? info.message : 'invalid token';
      throw unauthenticated(`Invalid bearer token: ${reason}.`);
    }
    return user;
  }
}
