import type { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { EvalRunEntity, EvalRunStatus } from '../../src/modules/eval-runs/entities/eval-run.entity';
import { SessionScoreEntity } from '../../src/modules/scores/entities/session-score.entity';
import { ScoreDataType, ScoreSource, ScoreStatus } from '../../src/modules/scores/entities/trace-score.entity';

export interface SessionScoreSeed {
  sessionId: string;
  name: string;
  /** Stored as is: session runs write strings like "0.85"; odd values stand for any other writer. */
  value: string | null;
  createdAt: string;
  dataType?: ScoreDataType;
  source?: ScoreSource;
  status?: ScoreStatus;
  evalRunId?: string | null;
  reason?: string | null;
}

/**
 * Stores a session score through the entity, as a session run would (the API has no POST for them),
 * with a chosen created_at so charts can be checked against hand-computed buckets. Returns its id.
 */
export async function insertSessionScore(ds: DataSource, projectId: string, seed: SessionScoreSeed): Promise<string> {
  const result = await ds
    .getRepository(SessionScoreEntity)
    .createQueryBuilder()
    .insert()
    .values({
      projectId,
      sessionId: seed.sessionId,
      name: seed.name,
      value: seed.value,
      dataType: seed.dataType ?? ScoreDataType.NUMERIC,
      source: seed.source ?? ScoreSource.AUTOMATED,
      status: seed.status ?? ScoreStatus.SUCCESS,
      evalRunId: seed.evalRunId ?? null,
      reason: seed.reason ?? null,
      metadata: {},
      createdAt: new Date(seed.createdAt),
      updatedAt: new Date(seed.createdAt),
    } as QueryDeepPartialEntity<SessionScoreEntity>)
    .returning(['id'])
    .updateEntity(false)
    .execute();
  return (result.raw as { id: string }[])[0].id;
}

/** A finished SESSION run row of the project, for scores to point at. Returns its id. */
export async function insertSessionRun(ds: DataSource, projectId: string, name: string): Promise<string> {
  const result = await ds
    .getRepository(EvalRunEntity)
    .createQueryBuilder()
    .insert()
    .values({
      projectId,
      name,
      targetType: 'SESSION',
      metricNames: ['agent_reliability'],
      status: EvalRunStatus.COMPLETED,
    } as QueryDeepPartialEntity<EvalRunEntity>)
    .returning(['id'])
    .updateEntity(false)
    .execute();
  return (result.raw as { id: string }[])[0].id;
}
