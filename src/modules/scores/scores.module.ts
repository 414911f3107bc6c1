import { Module } from '@nestjs/common';
import { ScoreAnalyticsRepository } from './score-analytics.repository';
import { ScoreAnalyticsService } from './score-analytics.service';
import { ScoreRollupRefresher } from './score-rollup-refresher';
import { ScoreStoreModule } from './score-store.module';
import { TraceScoreAnalyticsController } from './trace-score-analytics.controller';
import { TraceScoresController } from './trace-scores.controller';
import { TraceScoresRepository } from './trace-scores.repository';
import { TraceScoresService } from './trace-scores.service';

/** Manual trace scores and reads of all scores (automated ones are written by eval runs). */
@Module({
  imports: [ScoreStoreModule],
  controllers: [TraceScoresController, TraceScoreAnalyticsController],
  providers: [
    TraceScoresRepository,
    TraceScoresService,
    ScoreAnalyticsRepository,
    ScoreAnalyticsService,
    ScoreRollupRefresher,
  ],
})
export class ScoresModule {}
