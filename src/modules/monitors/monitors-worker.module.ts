import { Module } from '@nestjs/common';
import { MonitorScheduler } from './monitor-scheduler';
import { MonitorsCoreModule } from './monitors-core.module';

/** The scheduler, in every worker process (and the API with RUN_WORKER_IN_PROCESS=true). */
@Module({
  imports: [MonitorsCoreModule],
  providers: [MonitorScheduler],
  exports: [MonitorScheduler],
})
export class MonitorsWorkerModule {}
