import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { DirtySlotRefresher } from '../analytics/rollup-refresher';
import { SCORE_REFRESH } from './score-rollup-sql';

/**
 * Keeps the score rollups (migration 1764000012000) up to date without touching any score writer:
 * triggers on trace_scores mark (project, metric, slot) dirty; each pass recomputes the taken slots
 * and, whole, the UTC days that hold them (score_value_rollups).
 */
@Injectable()
export class ScoreRollupRefresher extends DirtySlotRefresher {
  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource, 'score-rollups');
  }

  protected async refreshTaken(qr: QueryRunner, limit: number): Promise<number> {
    const taken = await this.takeMarks<{ project_id: string; name: string; slot: Date }>(
      qr,
      'score_rollup_dirty',
      ['project_id', 'name', 'slot'],
      limit,
    );
    if (taken.length === 0) return 0;
    const params = [taken.map((t) => t.project_id), taken.map((t) => t.name), taken.map((t) => t.slot)];
    for (const statement of SCORE_REFRESH) await qr.query(statement, params);
    return taken.length;
  }
}
