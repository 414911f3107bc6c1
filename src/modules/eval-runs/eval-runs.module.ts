import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JudgeModule } from '../judge/judge.module';
import { MetricsModule } from '../metrics/metrics.module';
import { CustomMetricsCoreModule } from '../custom-metrics/custom-metrics-core.module';
import { ScoreStoreModule } from '../scores/score-store.module';
import { EvalRunItemEntity } from './entities/eval-run-item.entity';
import { EvalRunEntity } from './entities/eval-run.entity';
import { EvalRunsController } from './eval-runs.controller';
import { EvalRunsProducer } from './eval-runs.producer';
import { EvalRunsRepository } from './eval-runs.repository';
import { EvalRunsService } from './eval-runs.service';
import { RunStatusGauge } from './run-status.gauge';
import { SessionRunsController } from './session-runs.controller';
import { SessionRunsRepository } from './session-runs.repository';

/** The HTTP side of eval runs (trace and session): create (filtered, batch, retry), read, cancel, delete. Never judges. */
@Module({
  imports: [
    TypeOrmModule.forFeature([EvalRunEntity, EvalRunItemEntity]),
    ScoreStoreModule,
    MetricsModule,
    JudgeModule,
    CustomMetricsCoreModule,
  ],
  controllers: [EvalRunsController, SessionRunsController],
  providers: [EvalRunsRepository, EvalRunsService, EvalRunsProducer, SessionRunsRepository, RunStatusGauge],
  exports: [EvalRunsProducer],
})
export class EvalRunsModule {}
