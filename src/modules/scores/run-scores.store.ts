import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SessionScoreEntity } from './entities/session-score.entity';
import { TraceScoreEntity } from './entities/trace-score.entity';

/** What a run's scores are about: traces (a trace run's scores, a session run's signals) or sessions. */
export type ScoreSubject = 'trace' | 'session';

const ENTITY = { trace: TraceScoreEntity, session: SessionScoreEntity } as const;

/** Where the score `:afterId` stands in a run's scores, newest first. */
const POSITION = {
  trace: '(SELECT created_at, id FROM trace_scores WHERE id = :afterId)',
  session: '(SELECT created_at, id FROM session_scores WHERE id = :afterId)',
} as const;

/**
 * The scores module's port for eval runs: reading, writing and deleting the scores of one run, so
 * the run modules never name a score table. Every method is scoped by the run (and its project).
 */
@Injectable()
export class RunScoreStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * One page of a run's scores of `subject`, newest first: `count` scores after the score `afterId`
   * (keyset, so a long run is read in constant time per page), or from `offset` without `afterId`.
   */
  page(
    subject: ScoreSubject,
    projectId: string,
    runId: string,
    page: { count: number; offset?: number; afterId?: string },
  ): Promise<Array<TraceScoreEntity | SessionScoreEntity>> {
    const entity = ENTITY[subject];
    const qb = this.ds
      .getRepository<TraceScoreEntity | SessionScoreEntity>(entity)
      .createQueryBuilder('s')
      .where('s.evalRunId = :runId AND s.projectId = :projectId', { runId, projectId })
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(page.count);
    if (page.afterId) {
      qb.andWhere(`(s.created_at, s.id) < ${POSITION[subject]}`, { afterId: page.afterId });
    } else if (page.offset) qb.offset(page.offset);
    return qb.getMany();
  }

  /** Deletes a run's scores of each subject, in `m`'s transaction. */
  async deleteOfRun(m: EntityManager, projectId: string, runId: string, subjects: ScoreSubject[]): Promise<void> {
    for (const subject of subjects) {
      await m
        .createQueryBuilder()
        .delete()
        .from(ENTITY[subject])
        .where('eval_run_id = :runId AND project_id = :projectId', { runId, projectId })
        .execute();
    }
  }
}
