import { Injectable } from '@nestjs/common';
import { ProjectContext } from '../auth/types/project-context';
import { SessionScoreResponse } from './dto/session-score-response.dto';
import type { SessionScoreEntity } from './entities/session-score.entity';
import { ScoreServiceBase } from './score-service.base';
import { SessionScoresRepository } from './session-scores.repository';

/** GET /evaluations/session-scores, its latest-per-metric view of one session, and DELETE. */
@Injectable()
export class SessionScoresService extends ScoreServiceBase<SessionScoreEntity, SessionScoreResponse> {
  constructor(scores: SessionScoresRepository) {
    super(scores, (s) => SessionScoreResponse.from(s), 'session_id');
  }

  latestForSession(ctx: ProjectContext, sessionId: string): Promise<SessionScoreResponse[]> {
    return this.latest(ctx, sessionId);
  }
}
