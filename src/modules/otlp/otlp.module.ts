import { Module } from '@nestjs/common';
import { TracesModule } from '../traces/traces.module';
import { OtlpController } from './otlp.controller';
import { OtlpService } from './otlp.service';

/** OTLP/HTTP trace ingestion: OpenTelemetry spans mapped onto the traces module's ingestion (docs/otlp.md). */
@Module({
  imports: [TracesModule],
  controllers: [OtlpController],
  providers: [OtlpService],
})
export class OtlpModule {}
