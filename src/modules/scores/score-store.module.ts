import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionScoreEntity } from './entities/session-score.entity';
import { TraceScoreEntity } from './entities/trace-score.entity';

/**
 * The one owner of score storage: the trace and session score entities. Eval runs (HTTP and worker)
 * and the scores API import this module; scores never import eval runs.
 */
@Module({
  imports: [TypeOrmModule.forFeature([TraceScoreEntity, SessionScoreEntity])],
  exports: [TypeOrmModule],
})
export class ScoreStoreModule {}
