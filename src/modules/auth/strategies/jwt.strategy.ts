import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { randomBytes } from 'node:crypto';
import { ExtractJwt, Strategy, StrategyOptionsWithoutRequest } from 'passport-jwt';
import { APP_CONFIG } from '../../../config/config.module';
import { AppConfig } from '../../../config/env';
import { unauthenticated } from '../../../common/errors/domain.error';
import { readClaims } from '../identity/claims';
import { UserProvisioningService } from '../identity/user-provisioning.service';
import { UserContext } from '../types/project-context';

export const JWT_STRATEGY = 'jwt';

function strategyOptions(config: AppConfig): StrategyOptionsWithoutRequest {
  const { jwksUri, jwtSecret, issuer, audience } = config.auth;
  const common = {
    jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
    ignoreExpiration: false,
    ...(issuer ? { issuer } : {}),
    ...(audience ? { audience } : {}),
  };
  if (jwksUri) {
    return {
      ...common,
      algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
      secretOrKeyProvider: passportJwtSecret({ jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 10 }),
    };
  }
  // Without a secret, Bearer auth is off: a random secret makes every token fail verification.
  return { ...common, algorithms: ['HS256'], secretOrKey: jwtSecret ?? randomBytes(32).toString('hex') };
}

/** Verifies `Authorization: Bearer <JWT>` (HS256 secret or JWKS keys; `alg: none` is never accepted). */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  private readonly requireExp: boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: UserProvisioningService,
  ) {
    super(strategyOptions(config));
    this.requireExp = config.security.jwtRequireExp;
  }

  async validate(payload: Record<string, unknown>): Promise<UserContext> {
    // jsonwebtoken checks `exp` only when present: a token without one would never expire.
    if (this.requireExp && typeof payload.exp !== 'number') {
      throw unauthenticated('Token has no expiry (exp); tokens must expire (JWT_REQUIRE_EXP).');
    }
    // Just-in-time user: created on first sight of a verified token (docs/identity.md).
    const user = await this.users.upsert(readClaims(payload));
    return { userId: user.id, externalId: user.external_id };
  }
}
