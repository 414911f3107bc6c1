import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionScoreEntity } from './entities/session-score.entity';
import { TraceScoreEntity } from './entities/trace-score.entity';
import { RunScoreStore } from './run-scores.store';

/**
 * The one owner of score storage: the trace and session score entities, and RunScoreStore, the
 * port through which eval runs (HTTP and worker) read, write and delete a run's scores. The scores
 * API imports this module too; scores never import eval runs.
 */
@Module({
  imports: [TypeOrmModule.forFeature([TraceScoreEntity, SessionScoreEntity])],
  providers: [RunScoreStore],
  exports: [TypeOrmModule, RunScoreStore],
})
export class ScoreStoreModule {}
