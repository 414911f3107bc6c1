import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionScoreEntity } from './entities/session-score.entity';
import { TraceScoreEntity } from './entities/trace-score.entity';
import { RunScoreStore } from './run-scores.store';
import { JudgeTranscriptStore } from './transcripts/judge-transcript.store';

/**
 * The one owner of score storage: the trace and session score entities, the judge transcripts, and
 * RunScoreStore, the port through which eval runs (HTTP and worker) read, write and delete a run's
 * scores. The scores API imports this module too; scores never import eval runs.
 */
@Module({
  imports: [TypeOrmModule.forFeature([TraceScoreEntity, SessionScoreEntity])],
  providers: [RunScoreStore, JudgeTranscriptStore],
  exports: [TypeOrmModule, RunScoreStore, JudgeTranscriptStore],
})
export class ScoreStoreModule {}
