import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SpanEntity } from './entities/span.entity';
import { TraceEntity } from './entities/trace.entity';
import { TracesController } from './traces.controller';
import { TracesRepository } from './traces.repository';
import { TracesService } from './traces.service';
import { LargeReadLimiter } from './large-read-limiter';
import { TraceWriteGate } from './trace-write-gate';
import { TraceWriter } from './trace-writer';

/** Trace ingestion, storage and queries. Exports TracesService (and the filter builder via its file). */
@Module({
  imports: [TypeOrmModule.forFeature([TraceEntity, SpanEntity])],
  controllers: [TracesController],
  providers: [TracesRepository, TraceWriter, TracesService, LargeReadLimiter, TraceWriteGate],
  exports: [TracesService, TracesRepository],
})
export class TracesModule {}
