import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionScoreEntity } from './entities/session-score.entity';
import { TraceScoreEntity } from './entities/trace-score.entity';
import { JudgeTranscriptStore } from './transcripts/judge-transcript.store';

/**
 * The one owner of score storage: the trace and session score entities, and the judge transcripts. Eval runs (HTTP and worker)
 * and the scores API import this module; scores never import eval runs.
 */
@Module({
  imports: [TypeOrmModule.forFeature([TraceScoreEntity, SessionScoreEntity])],
  providers: [JudgeTranscriptStore],
  exports: [TypeOrmModule, JudgeTranscriptStore],
})
export class ScoreStoreModule {}
