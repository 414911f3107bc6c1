import { Inject, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { Response } from 'express';
import { APP_CONFIG } from '../../../config/config.module';
import { AppConfig } from '../../../config/env';
import { unprocessable } from '../../../common/errors/domain.error';
import { rateLimited } from './rate-limited';

const HOUR_MS = 3_600_000;

/**
 * An API key creates a project by naming it in X-Project-Name. Unbounded, that is a way to fill the
 * database and to multiply per-project budgets, so creations per key are capped per hour
 * (PROJECTS_AUTO_CREATED_PER_HOUR; 0 = never create). The counter lives in Redis beside the rate limits.
 */
@Injectable()
export class ProjectCreationLimiter {
  private readonly perHour: number;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.perHour = config.security.projectsAutoCreatedPerHour;
  }

  /** Counts one creation by the key; throws 422 when creation is off, 429 when the hour's budget is spent. */
  async take(apiKeyId: string, projectName: string, res: Response): Promise<void> {
    if (this.perHour === 0) {
      throw unprocessable(
        `Project '${projectName}' does not exist and this deployment does not create projects from X-Project-Name (PROJECTS_AUTO_CREATED_PER_HOUR=0). Create it first.`,
      );
    }
    // A 1 ms block: the window's own expiry (timeToExpire) is then when the next creation is allowed.
    const record = await this.storage.increment(`project-create:key:${apiKeyId}`, HOUR_MS, this.perHour, 1, 'projects');
    if (record.totalHits > this.perHour) {
      throw rateLimited(
        res,
        `Project creation limit exceeded: ${this.perHour} new projects per API key per 1 hour`,
        record.timeToExpire,
      );
    }
  }
}
