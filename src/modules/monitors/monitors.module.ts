import { Module } from '@nestjs/common';
import { CustomMetricsCoreModule } from '../custom-metrics/custom-metrics-core.module';
import { MonitorsController } from './monitors.controller';
import { MonitorsCoreModule } from './monitors-core.module';
import { MonitorsService } from './monitors.service';

/** The HTTP side of monitors. */
@Module({
  imports: [MonitorsCoreModule, CustomMetricsCoreModule],
  controllers: [MonitorsController],
  providers: [MonitorsService],
})
export class MonitorsModule {}
