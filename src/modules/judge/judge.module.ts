import { Module } from '@nestjs/common';
import { JudgeService } from './judge.service';

/**
 * The LLM judge (AI SDK providers, retries, shared Redis limiter). Needs the global
 * AppConfigModule. No controllers, so the worker can import it without the auth guards; the
 * `GET /evaluations/providers` route is mounted by MetricsApiModule.
 */
@Module({
  providers: [JudgeService],
  exports: [JudgeService],
})
export class JudgeModule {}
