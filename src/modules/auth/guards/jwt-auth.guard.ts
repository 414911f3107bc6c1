import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { DomainError, unauthenticated } from '../../../common/errors/domain.error';
import { JWT_STRATEGY } from '../strategies/jwt.strategy';

/** passport-jwt behind a guard, with failures turned into our 401 body. */
@Injectable()
export class JwtAuthGuard extends AuthGuard(JWT_STRATEGY) {
  override handleRequest<T>(err: unknown, user: T, info: unknown): T {
    if (err instanceof DomainError) throw err;
    if (err || !user) {
      const reason = info instanceof Error ? info.message : err instanceof Error ? err.message : 'invalid token';
      throw unauthenticated(`Invalid bearer token: ${reason}.`);
    }
    return user;
  }
}
