import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { unauthenticated } from '../../../common/errors/domain.error';
import { RequestIdentityService } from '../identity/request-identity.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { AuthedRequest } from './project-auth.guard';

/**
 * Management routes: a valid Bearer JWT is required (API keys are not accepted), except in
 * development mode, where a request without one acts as the local user. Then the just-in-time
 * organization and the X-Organization-ID header (RequestIdentityService).
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly jwtGuard: JwtAuthGuard,
    private readonly identity: RequestIdentityService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    if (req.headers.authorization) await this.jwtGuard.canActivate(context);
    else if (this.identity.devMode) req.user = await this.identity.devUser();
    else throw unauthenticated('Missing credentials. Provide Authorization: Bearer <token>.');
    await this.identity.afterUserAuth(req, req.user!);
    return true;
  }
}
