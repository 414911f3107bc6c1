import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EvalRunEntity } from '../eval-runs/entities/eval-run.entity';
import { EvalRunsProducer } from '../eval-runs/eval-runs.producer';
import { EvalRunsRepository } from '../eval-runs/eval-runs.repository';
import { SessionRunsRepository } from '../eval-runs/session-runs.repository';
import { MetricsModule } from '../metrics/metrics.module';
import { ScoreStoreModule } from '../scores/score-store.module';
import { MonitorEntity } from './entities/monitor.entity';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import { FaultInjector } from '../../common/faults/fault-injector';
import { MONITOR_CLOCK, MONITOR_FAULTS, systemClock } from './monitor-clock';
import { MonitorFiring } from './monitor-firing';
import { MonitorsRepository } from './monitors.repository';
import { SessionRunSpawner } from './spawners/session-run.spawner';
import { TraceRunSpawner } from './spawners/trace-run.spawner';

/** Monitor storage and firing (one run spawner per target type), for the API and the scheduler alike. */
@Module({
  imports: [TypeOrmModule.forFeature([MonitorEntity, EvalRunEntity]), ScoreStoreModule, MetricsModule],
  providers: [
    { provide: MONITOR_CLOCK, useValue: systemClock },
    { provide: MONITOR_FAULTS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new FaultInjector(config) },
    EvalRunsRepository,
    SessionRunsRepository,
    EvalRunsProducer,
    MonitorsRepository,
    TraceRunSpawner,
    SessionRunSpawner,
    MonitorFiring,
  ],
  exports: [MONITOR_CLOCK, MonitorsRepository, MonitorFiring, MetricsModule],
})
export class MonitorsCoreModule {}
