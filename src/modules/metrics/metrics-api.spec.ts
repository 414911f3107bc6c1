import { INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppConfigModule } from '../../config/config.module';
import { loadConfig } from '../../config/env';
import { ProjectAuthGuard } from '../auth/guards/project-auth.guard';
import { RateLimitGuard } from '../auth/guards/rate-limit.guard';
import { MetricsApiModule } from './metrics-api.module';

const allow = { canActivate: () => true };

@Module({
  imports: [AppConfigModule.forRoot(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' })), MetricsApiModule],
})
class Root {}

/** The two catalogue routes, with the auth guards stood in (auth itself is tested by its module). */
describe('MetricsApiModule routes', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [Root] })
      .overrideGuard(ProjectAuthGuard)
      .useValue(allow)
      .overrideGuard(RateLimitGuard)
      .useValue(allow)
      .compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });
  afterAll(() => app.close());

  it('GET /evaluations/trace-metrics → a bare array of the eight metrics', async () => {
    const res = await request(app.getHttpServer()).get('/evaluations/trace-metrics').expect(200);
    expect(res.body.map((m: { name: string }) => m.name)).toEqual([
      'argument_correctness',
      'coherence',
      'confidence',
      'plan_adherence',
      'plan_quality',
      'step_efficiency',
      'task_completion',
      'tool_correctness',
    ]);
    expect(Object.keys(res.body[0]).sort()).toEqual(['category', 'description', 'name']);
  });

  it("GET /evaluations/providers → availability under the dashboard's keys (openai, anthropic, google_genai, vertex_ai) and the scripted judge", async () => {
    const res = await request(app.getHttpServer()).get('/evaluations/providers').expect(200);
    expect(res.body.map((p: { key: string; available: boolean }) => [p.key, p.available])).toEqual([
      ['openai', true],
      ['anthropic', false],
      ['google_genai', false],
      ['vertex_ai', false],
      ['scripted', false],
    ]);
    expect(Object.keys(res.body[0]).sort()).toEqual([
      'available',
      'base_url',
      'description',
      'dropped_settings',
      'key',
      'last_error',
      'message',
      'name',
      'state',
    ]);
    expect(res.body.map((p: { state: string }) => p.state)).toEqual([
      'configured',
      'not_configured',
      'not_configured',
      'not_configured',
      'not_configured',
    ]);
  });
});
