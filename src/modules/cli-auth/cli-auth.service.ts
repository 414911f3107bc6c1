import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { forbidden, notFound, unauthenticated } from '../../common/errors/domain.error';
import { ApiKeysService } from '../auth/api-keys.service';
import { ProjectEntity } from '../auth/entities/project.entity';
import { OrganizationsService } from '../auth/organizations.service';
import { UserContext } from '../auth/types/project-context';
import { CliAuthClock } from './cli-auth-clock';
import { CODE_TTL_SECONDS, CliCodeStore } from './cli-code-store';
import { CliCodeResponse, CliCredentialsResponse, CreateCliCodeRequest } from './dto';

const INVALID_CODE = 'Authorization code is invalid, expired, or already used.';

/** base64url without padding of SHA-256: the S256 code challenge of a verifier. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** The original's key name: the CLI's label and the UTC date, em-dash separated, at most 255 characters. */
export function cliKeyName(label: string, nowMs: number): string {
  return `pandaprobe-cli — ${label} — ${new Date(nowMs).toISOString().slice(0, 10)}`.slice(0, 255);
}

/**
 * `pandaprobe auth login`: OAuth 2.0 authorization code with PKCE (S256). The signed-in user's
 * browser asks for a code bound to their choice of organization and project; the CLI trades the
 * code and its verifier for a 90-day key. The key never passes through the browser.
 */
@Injectable()
export class CliAuthService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly organizations: OrganizationsService,
    private readonly apiKeys: ApiKeysService,
    private readonly codes: CliCodeStore,
    private readonly clock: CliAuthClock,
  ) {}

  async issue(user: UserContext, body: CreateCliCodeRequest): Promise<CliCodeResponse> {
    await this.organizations.assertMember(user.userId, body.org_id);
    // Another organization's project is "not found", as a missing one (ids cannot be probed).
    const project = await this.db.getRepository(ProjectEntity).findOneBy({ id: body.project_id, orgId: body.org_id });
    if (!project) throw notFound(`Project ${body.project_id} not found.`);
    const code = randomBytes(32).toString('base64url');
    await this.codes.put(code, {
      userId: user.userId,
      orgId: body.org_id,
      projectId: project.id,
      projectName: project.name,
      codeChallenge: body.code_challenge,
      label: body.label,
      expiresAtMs: this.clock.now() + CODE_TTL_SECONDS * 1000,
    });
    return { code, expires_in: CODE_TTL_SECONDS };
  }

  /** 401 for an unknown, expired or used code; a wrong verifier is refused without consuming the code. */
  async exchange(code: string, verifier: string): Promise<CliCredentialsResponse> {
    const pending = await this.codes.peek(code);
    if (!pending || this.clock.now() >= pending.expiresAtMs) throw unauthenticated(INVALID_CODE);
    const expected = Buffer.from(pending.codeChallenge);
    const actual = Buffer.from(s256(verifier));
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw unauthenticated('PKCE verification failed.');
    }
    const login = await this.codes.take(code);
    if (!login) throw unauthenticated(INVALID_CODE); // another exchange took it first
    const role = await this.organizations.roleOf(login.userId, login.orgId);
    if (!role) throw forbidden('You are no longer a member of this organization.');
    const { key, rawKey } = await this.apiKeys.create(
      login.orgId,
      cliKeyName(login.label, this.clock.now()),
      '90d',
      login.userId,
    );
    return {
      api_key: rawKey,
      project_name: login.projectName,
      org_id: login.orgId,
      key_id: key.id,
      key_prefix: key.keyPrefix,
      expires_at: key.expiresAt!.toISOString(),
    };
  }
}
