import { Module } from '@nestjs/common';
import { JudgeController } from './judge.controller';
import { JudgeService } from './judge.service';

/** The LLM judge (AI SDK providers, retries, shared Redis limiter). Needs the global AppConfigModule. */
@Module({
  controllers: [JudgeController],
  providers: [JudgeService],
  exports: [JudgeService],
})
export class JudgeModule {}
