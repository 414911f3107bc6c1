import { Module } from '@nestjs/common';
import { RetentionService } from './retention.service';

/** Trace retention, swept by worker processes (WorkerModule, or AppModule with RUN_WORKER_IN_PROCESS). */
@Module({ providers: [RetentionService], exports: [RetentionService] })
export class RetentionModule {}
