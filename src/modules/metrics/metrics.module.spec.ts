import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfigModule } from '../../config/config.module';
import { loadConfig } from '../../config/env';
import { JudgeService } from '../judge/judge.service';
import { MetricsModule } from './metrics.module';
import { MetricsService } from './metrics.service';

@Module({ imports: [AppConfigModule.forRoot(loadConfig({ OPENAI_API_KEY: 'sk-test' })), MetricsModule] })
class WorkerLikeRoot {}

describe('MetricsModule', () => {
  it('boots in an application context without HTTP or auth (as the worker does)', async () => {
    const app = await NestFactory.createApplicationContext(WorkerLikeRoot, { logger: false, abortOnError: false });
    try {
      expect(app.get(MetricsService).listTraceMetrics()).toHaveLength(8);
      expect(app.get(JudgeService).assertModelUsable()).toBe('openai/gpt-4o-mini');
    } finally {
      await app.close();
    }
  });
});
