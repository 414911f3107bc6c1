import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EvalRunEntity } from './entities/eval-run.entity';
import { JudgeModule } from '../judge/judge.module';
import { MetricsModule } from '../metrics/metrics.module';
import { CustomMetricsCoreModule } from '../custom-metrics/custom-metrics-core.module';
import { ScoreStoreModule } from '../scores/score-store.module';
import { EvalRunsProducer } from './eval-runs.producer';
import { EvalRunLedgerRepository } from './worker/eval-run-ledger.repository';
import { ReservedConnection } from '../../database/reserved-connection';
import { EvalRunExecutor } from './worker/eval-run.executor';
import { EvalRunProcessor } from './worker/eval-run.processor';
import { EvalRunSweeper } from './worker/eval-run.sweeper';
import { FaultInjector } from '../../common/faults/fault-injector';
import { RunControlListener } from './worker/run-control.listener';
import { TracesForJudging } from '../traces/traces-for-judging';

/**
 * The executing side of eval runs: the Bull consumer, the executor and the sweeper. Imported by
 * WorkerModule, and by AppModule when RUN_WORKER_IN_PROCESS=true. No controllers.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([EvalRunEntity]),
    ScoreStoreModule,
    MetricsModule,
    JudgeModule,
    CustomMetricsCoreModule,
  ],
  providers: [
    EvalRunLedgerRepository,
    // The traces module's port for judging (registered here until TracesModule exports it).
    TracesForJudging,
    ReservedConnection,
    EvalRunExecutor,
    EvalRunProcessor,
    EvalRunSweeper,
    EvalRunsProducer,
    FaultInjector,
    RunControlListener,
  ],
  exports: [EvalRunExecutor, EvalRunSweeper, FaultInjector],
})
export class EvalRunsWorkerModule {}
