import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { JudgeService } from './judge.service';
import type { ProviderStatus } from './model-resolver';

/**
 * GET /evaluations/providers is read by every tenant, so its tenant view lists only the models the
 * project itself asked for (its runs' models and the deployment's defaults) and no internal address
 * or error text; operators get everything under the admin token (issue 22, finding 5).
 */
@Injectable()
export class ProviderViews {
  constructor(
    private readonly judge: JudgeService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  forOperator(): Promise<ProviderStatus[]> {
    return this.judge.listProviders('operator');
  }

  async forProject(projectId: string): Promise<ProviderStatus[]> {
    const rows: { model: string }[] = await this.dataSource.query(
      `SELECT DISTINCT model FROM eval_runs WHERE project_id = $1 AND model IS NOT NULL`,
      [projectId],
    );
    const own = new Set([
      this.config.judge.defaultModel,
      this.config.judge.embeddingModel,
      ...rows.map((r) => r.model),
    ]);
    return this.judge.listProviders('tenant', (model) => own.has(model));
  }
}
