import { DynamicModule, Module } from '@nestjs/common';
import { BACKGROUND_MODULES, processBaseModules } from './bootstrap/process-modules';
import { AppConfig, loadConfig } from './config/env';
import { WorkerMetricsModule } from './modules/operators/worker-metrics.module';

/** The worker process: no HTTP, consumes eval-run jobs, fires due monitors and applies trace retention. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
    return {
      module: WorkerModule,
      imports: [...processBaseModules(config), WorkerMetricsModule, ...BACKGROUND_MODULES],
    };
  }
}
