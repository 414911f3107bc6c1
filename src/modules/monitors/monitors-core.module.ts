import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EvalRunEntity } from '../eval-runs/entities/eval-run.entity';
import { EvalRunsProducer } from '../eval-runs/eval-runs.producer';
import { EvalRunsRepository } from '../eval-runs/eval-runs.repository';
import { MetricsModule } from '../metrics/metrics.module';
import { ScoreStoreModule } from '../scores/score-store.module';
import { MonitorEntity } from './entities/monitor.entity';
import { MONITOR_CLOCK, systemClock } from './monitor-clock';
import { MonitorFiring } from './monitor-firing';
import { MonitorsRepository } from './monitors.repository';
import { SessionRunSpawner } from './spawners/session-run.spawner';
import { TraceRunSpawner } from './spawners/trace-run.spawner';

/** Monitor storage and firing (one run spawner per target type), for the API and the scheduler alike. */
@Module({
  imports: [TypeOrmModule.forFeature([MonitorEntity, EvalRunEntity]), ScoreStoreModule, MetricsModule],
  providers: [
    { provide: MONITOR_CLOCK, useValue: systemClock },
    EvalRunsRepository,
    EvalRunsProducer,
    MonitorsRepository,
    TraceRunSpawner,
    SessionRunSpawner,
    MonitorFiring,
  ],
  exports: [MONITOR_CLOCK, MonitorsRepository, MonitorFiring, MetricsModule],
})
export class MonitorsCoreModule {}
