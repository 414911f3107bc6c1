import { Module } from '@nestjs/common';
import { TraceRetentionModule } from '../traces/trace-retention.store';
import { RetentionService } from './retention.service';

/** Trace retention, swept by worker processes (WorkerModule, or AppModule with RUN_WORKER_IN_PROCESS). */
@Module({ imports: [TraceRetentionModule], providers: [RetentionService], exports: [RetentionService] })
export class RetentionModule {}
