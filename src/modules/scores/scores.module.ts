import { Module } from '@nestjs/common';
import { ScoreAgreementController } from './agreement/score-agreement.controller';
import { ScoreAgreementService } from './agreement/score-agreement.service';
import { ScoreAnalyticsRepository } from './score-analytics.repository';
import { ScoreAnalyticsService } from './score-analytics.service';
import { ScoreRollupRefresher } from './score-rollup-refresher';
import { ScoreStoreModule } from './score-store.module';
import { SessionScoreAnalyticsController } from './session-score-analytics.controller';
import { SessionScoresController } from './session-scores.controller';
import { SessionScoresRepository } from './session-scores.repository';
import { SessionScoresService } from './session-scores.service';
import { TraceScoreAnalyticsController } from './trace-score-analytics.controller';
import { TraceScoresController } from './trace-scores.controller';
import { TraceScoresRepository } from './trace-scores.repository';
import { TraceScoresService } from './trace-scores.service';
import { TranscriptsController } from './transcripts/transcripts.controller';

/**
 * The scores API: manual trace scores, reads and deletes of trace and session scores, and their
 * analytics. Automated scores are written by eval runs, which import ScoreStoreModule; nothing here
 * imports eval runs.
 */
@Module({
  imports: [ScoreStoreModule],
  controllers: [
    TraceScoresController,
    TraceScoreAnalyticsController,
    ScoreAgreementController,
    SessionScoresController,
    SessionScoreAnalyticsController,
    TranscriptsController,
  ],
  providers: [
    TraceScoresRepository,
    TraceScoresService,
    SessionScoresRepository,
    SessionScoresService,
    ScoreAnalyticsRepository,
    ScoreAnalyticsService,
    ScoreAgreementService,
    ScoreRollupRefresher,
  ],
})
export class ScoresModule {}
