import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AuthedRequest } from '../guards/project-auth.guard';
import { ProjectContext, UserContext } from '../types/project-context';

function projectOf(ctx: ExecutionContext): ProjectContext {
  const context = ctx.switchToHttp().getRequest<AuthedRequest>().projectContext;
  if (!context) throw new Error('CurrentProject or ProjectId used on a route without @Auth()');
  return context;
}

/** The authenticated project scope of a route guarded by `@Auth()`. */
export const CurrentProject = createParamDecorator((_: unknown, ctx: ExecutionContext) => projectOf(ctx));

/** The authenticated project's id alone, for a handler that needs nothing else of the scope. */
export const ProjectId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => projectOf(ctx).projectId);

/** The authenticated user of a route guarded by `@UserAuth()`. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): UserContext => {
  const user = ctx.switchToHttp().getRequest<AuthedRequest>().user;
  if (!user) throw new Error('CurrentUser used on a route without @UserAuth()');
  return user;
});
