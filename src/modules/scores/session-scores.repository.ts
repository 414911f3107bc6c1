import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { SessionScoreEntity } from './entities/session-score.entity';
import { ScoreRepositoryBase } from './score-repository.base';

/**
 * Reads and deletes of session scores. They are written by session runs (through the entity, in
 * eval-runs); the original has no manual session scores, so neither do we.
 */
@Injectable()
export class SessionScoresRepository extends ScoreRepositoryBase<SessionScoreEntity> {
  constructor(@InjectRepository(SessionScoreEntity) scores: Repository<SessionScoreEntity>) {
    super(scores, 'sessionId');
  }
}
