import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { unprocessable } from '../../../common/errors/domain.error';
import { ProjectContext } from '../../auth/types/project-context';
import { ScoreDataType } from '../entities/trace-score.entity';
import { labelAgreement } from './agreement-stats';
import { AgreementDisagreement, ScoreAgreementQuery, ScoreAgreementResponse } from './score-agreement.dto';
import {
  AGREEMENT_CELLS,
  AGREEMENT_DISAGREEMENTS,
  AGREEMENT_NUMERIC,
  MAX_CONFUSION_CELLS,
} from './score-agreement.sql';

const DEFAULT_THRESHOLD = 0.5;

interface CellRow {
  judge_type: ScoreDataType;
  human_type: ScoreDataType;
  judge: string;
  human: string;
  count: number;
}

/**
 * GET /evaluations/analytics/trace-scores/agreement: how well a metric's judge agrees with people.
 * Each trace contributes its latest successful judge score (of the run, when one is named) and its
 * latest successful annotation of the same name; pairs of one data type are compared.
 */
@Injectable()
export class ScoreAgreementService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async agreement(ctx: ProjectContext, q: ScoreAgreementQuery): Promise<ScoreAgreementResponse> {
    const threshold = q.threshold ?? DEFAULT_THRESHOLD;
    const params = [ctx.projectId, q.metric_name, q.eval_run_id ?? null, threshold, q.metric_version ?? null];
    const rows: CellRow[] = await this.db.query(AGREEMENT_CELLS, params);
    if (rows.length > MAX_CONFUSION_CELLS) {
      throw unprocessable(
        `metric_name ${q.metric_name} has more than ${MAX_CONFUSION_CELLS} distinct (judge, human) label pairs: ` +
          'agreement compares categories, not free text',
      );
    }
    const dataType = dominantType(rows);
    const compared = rows.filter((r) => r.judge_type === dataType && r.human_type === dataType);
    const cells = compared.map(({ judge, human, count }) => ({ judge, human, count }));
    const stats = labelAgreement(cells);
    const numeric = dataType === ScoreDataType.NUMERIC ? await this.numericStats(params) : null;
    const page = { limit: q.limit, offset: q.offset };
    const items: AgreementDisagreement[] = dataType
      ? await this.db.query(AGREEMENT_DISAGREEMENTS, [...params, dataType, page.limit, page.offset])
      : [];
    return {
      metric_name: q.metric_name,
      eval_run_id: q.eval_run_id ?? null,
      metric_version: q.metric_version ?? null,
      data_type: dataType,
      threshold: dataType === ScoreDataType.NUMERIC ? threshold : null,
      n: stats.n,
      accuracy: stats.accuracy,
      cohen_kappa: stats.cohen_kappa,
      mean_absolute_error: numeric?.mae ?? null,
      spearman_rho: numeric?.rho ?? null,
      labels: stats.labels,
      confusion_matrix: cells,
      type_mismatch_count: sum(rows.filter((r) => r.judge_type !== r.human_type)),
      disagreements: { items, total: sum(compared.filter((c) => c.judge !== c.human)), ...page },
    };
  }

  private async numericStats(params: unknown[]): Promise<{ mae: number | null; rho: number | null }> {
    const [row] = await this.db.query(AGREEMENT_NUMERIC, params);
    return { mae: row?.mae ?? null, rho: row?.rho ?? null };
  }
}

const sum = (rows: { count: number }[]) => rows.reduce((n, r) => n + r.count, 0);

/** The judge data type with the most pairs of matching types; null when no pair matches. */
function dominantType(rows: CellRow[]): ScoreDataType | null {
  const totals = new Map<ScoreDataType, number>();
  for (const r of rows)
    if (r.judge_type === r.human_type) totals.set(r.judge_type, (totals.get(r.judge_type) ?? 0) + r.count);
  let best: ScoreDataType | null = null;
  for (const [type, n] of totals) if (best === null || n > (totals.get(best) ?? 0)) best = type;
  return best;
}
