import { Module } from '@nestjs/common';
import { TracesModule } from '../traces/traces.module';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/** `/sessions`: aggregates over traces grouped by session_id (a session has no table of its own). */
@Module({
  imports: [TracesModule],
  controllers: [SessionsController],
  providers: [SessionsRepository, SessionsService],
  exports: [SessionsService],
})
export class SessionsModule {}
