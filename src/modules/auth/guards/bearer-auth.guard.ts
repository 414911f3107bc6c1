import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { unauthenticated } from '../../../common/errors/domain.error';
import { JwtAuthGuard } from './jwt-auth.guard';
import { AuthedRequest } from './project-auth.guard';

/** Management routes: a valid Bearer JWT is required; API keys are not accepted. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(private readonly jwtGuard: JwtAuthGuard) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    if (!req.headers.authorization) {
      throw unauthenticated('Missing credentials. Provide Authorization: Bearer <token>.');
    }
    await this.jwtGuard.canActivate(context);
    return true;
  }
}
