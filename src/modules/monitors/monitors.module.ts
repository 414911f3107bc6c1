import { Module } from '@nestjs/common';
import { MonitorsController } from './monitors.controller';
import { MonitorsCoreModule } from './monitors-core.module';
import { MonitorsService } from './monitors.service';

/** The HTTP side of monitors. */
@Module({
  imports: [MonitorsCoreModule],
  controllers: [MonitorsController],
  providers: [MonitorsService],
})
export class MonitorsModule {}
