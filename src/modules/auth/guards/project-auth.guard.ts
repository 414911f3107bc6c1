import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isUUID } from 'class-validator';
import { notFound, unauthenticated, unprocessable } from '../../../common/errors/domain.error';
import { ApiKeyAuthService } from '../api-key-auth.service';
import { RequestIdentityService } from '../identity/request-identity.service';
import { OrganizationsService } from '../organizations.service';
import { ProjectsService } from '../projects.service';
import { Principal, ProjectContext, UserContext } from '../types/project-context';
import { JwtAuthGuard } from './jwt-auth.guard';
import { OrgQuotaService } from '../../quotas/org-quotas.service';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { ProjectCreationLimiter } from './project-creation-limiter';

/**
 * A project an API key names but that does not exist yet. Creating it is deferred until the rate
 * limit guard has counted the credential, so a key that is over its limit creates nothing.
 */
export interface PendingProject {
  principal: Principal;
  create(): Promise<ProjectContext>;
}

export type AuthedRequest = Request & {
  projectContext?: ProjectContext;
  pendingProject?: PendingProject;
  user?: UserContext;
};

/** Creates the project a request deferred (see PendingProject); a no-op when there is none. */
export async function createPendingProject(req: AuthedRequest): Promise<void> {
  const pending = req.pendingProject;
  if (!pending || req.projectContext) return;
  req.pendingProject = undefined;
  req.projectContext = await pending.create();
}

/** Names the project a request created by naming it first (X-Project-Name with an API key). */
export const PROJECT_CREATED_HEADER = 'X-Project-Created';

const PROJECT_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9 _.'-]{0,253}[A-Za-z0-9])?$/;

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()]; // Node lower-cases header names: matching is case-insensitive
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Data-plane auth: `X-API-Key` + `X-Project-Name`, or `Authorization: Bearer` + `X-Project-ID`.
 * When both are sent the API key wins, as in the original. Sets `request.projectContext`.
 */
@Injectable()
export class ProjectAuthGuard implements CanActivate {
  private readonly logger = new Logger('Projects');

  constructor(
    private readonly apiKeys: ApiKeyAuthService,
    private readonly projects: ProjectsService,
    private readonly organizations: OrganizationsService,
    private readonly jwtGuard: JwtAuthGuard,
    private readonly creationLimiter: ProjectCreationLimiter,
    private readonly identity: RequestIdentityService,
    private readonly failures: AuthFailureLimiter,
    private readonly quotas: OrgQuotaService,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    return this.failures.guard(http.getRequest<Request>(), http.getResponse<Response>(), () =>
      this.authenticate(context),
    );
  }

  private async authenticate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const apiKey = header(req, 'x-api-key')?.trim();
    if (apiKey) {
      const resolved = await this.viaApiKey(apiKey, header(req, 'x-project-name'), context);
      await this.identity.checkOrganizationHeader(req, resolved.principal);
      if ('create' in resolved) req.pendingProject = resolved;
      else req.projectContext = resolved;
      return true;
    }
    if (header(req, 'authorization') || this.identity.devMode) {
      // Development mode: no credentials at all act as the local user (docs/identity.md).
      if (header(req, 'authorization')) await this.jwtGuard.canActivate(context);
      else req.user = await this.identity.devUser();
      req.projectContext = await this.viaBearer(req.user as UserContext, header(req, 'x-project-id'));
      await this.identity.checkOrganizationHeader(req, req.projectContext.principal);
      return true;
    }
    throw unauthenticated(
      'Missing credentials. Provide X-API-Key (with X-Project-Name) or Authorization: Bearer <token> (with X-Project-ID).',
    );
  }

  private async viaApiKey(
    rawKey: string,
    rawProjectName: string | undefined,
    context: ExecutionContext,
  ): Promise<ProjectContext | PendingProject> {
    const name = rawProjectName?.trim();
    const validName = name && PROJECT_NAME.test(name) ? name : undefined;
    // The key is checked first (401) whatever the project header says.
    const key = await this.apiKeys.verify(rawKey, validName);
    if (!name) {
      throw unprocessable(
        'Project scope required. Send X-Project-Name with an API key (or X-Project-ID with a Bearer token).',
      );
    }
    if (!validName) {
      throw unprocessable(
        'X-Project-Name must be 1-255 characters, start and end with a letter or digit, and contain only letters, digits, spaces, hyphens, underscores, dots or apostrophes.',
      );
    }
    const principal: Principal = { kind: 'api_key', apiKeyId: key.id, orgId: key.orgId };
    const projectId = key.projectId ?? (await this.projects.findByName(key.orgId, validName))?.id;
    if (projectId) return { projectId, orgId: key.orgId, principal };
    return {
      principal,
      create: async () => {
        const res = context.switchToHttp().getResponse<Response>();
        await this.creationLimiter.take(key.id, validName, res);
        const { project, created } = await this.quotas.within(key.orgId, 'projects', () =>
          this.projects.findOrCreateByName(key.orgId, validName),
        );
        // Kept from the original (clients rely on it), but said: a typo must not pass for an empty project.
        if (created) {
          res.setHeader(PROJECT_CREATED_HEADER, validName); // its characters are all header-safe
          this.logger.log(`project '${validName}' (${project.id}) created on first use by API key ${key.id}`);
        }
        return { projectId: project.id, orgId: key.orgId, principal };
      },
    };
  }

  private async viaBearer(user: UserContext, rawProjectId: string | undefined): Promise<ProjectContext> {
    const projectId = rawProjectId?.trim();
    if (!projectId) {
      throw unprocessable(
        'Project scope required. Send X-Project-ID with a Bearer token (or X-Project-Name with an API key).',
      );
    }
    if (!isUUID(projectId)) throw unprocessable('X-Project-ID must be a valid UUID.');
    // Unknown and foreign projects get the same answer: nobody learns which ids exist elsewhere.
    const project = await this.projects.findById(projectId);
    const role = project && (await this.organizations.roleOf(user.userId, project.orgId));
    if (!project || !role) throw notFound(`Project ${projectId} not found.`);
    return {
      projectId: project.id,
      orgId: project.orgId,
      principal: { kind: 'user', userId: user.userId, externalId: user.externalId },
    };
  }
}
