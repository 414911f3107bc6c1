import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { httpStatusFor } from '../../common/errors/http-status-for';
import { startJudgeServer, type JudgeServer } from '../../../test/support/judge-server';
import { judgeTestConfig } from '../../../test/support/judge-server/test-config';
import { JudgeService } from '../judge/judge.service';
import { MetricRegistry } from './metric-registry';
import { MetricsService } from './metrics.service';

const EIGHT = [
  'argument_correctness',
  'coherence',
  'confidence',
  'plan_adherence',
  'plan_quality',
  'step_efficiency',
  'task_completion',
  'tool_correctness',
];

describe('MetricsService: catalogue and template', () => {
  let server: JudgeServer;
  let judge: JudgeService;
  let metrics: MetricsService;

  beforeAll(async () => {
    server = await startJudgeServer();
    const config = judgeTestConfig(server.baseUrl);
    judge = new JudgeService(config);
    metrics = new MetricsService(judge, new MetricRegistry(), config);
  });
  afterAll(async () => {
    await judge.onModuleDestroy();
    await server.close();
  });

  it('lists the eight trace metrics, sorted; loop_detection is registered as a session signal only, not listed', () => {
    const list = metrics.listTraceMetrics();
    expect(list.map((m) => m.name)).toEqual(EIGHT);
    expect(list.every((m) => m.category === 'trace' && m.description.length > 10)).toBe(true);
    expect(metrics.isKnownTraceMetric('coherence')).toBe(true);
    expect(metrics.isKnownTraceMetric('loop_detection')).toBe(false);
    expect(new MetricRegistry().get('loop_detection')?.listed).toBe(false);
    expect(metrics.isKnownTraceMetric('agent_reliability')).toBe(false);
  });

  const stages: Record<string, string[]> = {
    task_completion: ['extract', 'score'],
    tool_correctness: ['extract', 'score'],
    argument_correctness: ['extract', 'verdicts', 'reason'],
    step_efficiency: ['extract_task', 'score'],
    plan_adherence: ['extract_plan', 'score'],
    plan_quality: ['score'],
    confidence: ['evaluate'],
    coherence: [],
  };

  it.each(Object.entries(stages))('builds the template of %s with its real stage prompts', (name, keys) => {
    const t = metrics.buildTemplate(name);
    expect(t.metric.name).toBe(name);
    expect(t.metric.category).toBe('trace');
    expect(t.metric.default_threshold).toBe(0.5);
    expect(t.metric.description).toBe(metrics.listTraceMetrics().find((m) => m.name === name)!.description);
    expect(t.metric.prompt_preview.map((p) => p.stage)).toEqual(keys);
    for (const p of t.metric.prompt_preview) {
      expect(p.prompt.startsWith(`[stage: ${p.stage === 'extract_task' ? 'step_efficiency' : name}.${p.stage}]`)).toBe(
        true,
      );
      expect(p.prompt).toMatch(/Reply with a JSON object/);
    }
    const joined = t.metric.prompt_preview.map((p) => p.prompt).join('\n');
    if (
      ['task_completion', 'tool_correctness', 'argument_correctness', 'plan_adherence', 'confidence'].includes(name)
    ) {
      expect(joined).toContain('Trace "sample-trace"');
    }
    if (keys.length > 1) expect(joined).toMatch(/<extracted_[a-z_]+>/);
    const filterNames = ['date_from', 'date_to', 'status', 'session_id', 'user_id', 'tags', 'name'];
    expect(t.filters).toEqual(Object.fromEntries(filterNames.map((f) => [f, null]))); // every filter open
    expect(t.sampling_rate).toBe(1.0);
    expect(t.model).toBe('openai/judge-test');
  });

  it('rejects an unknown or unlisted metric with a 422-mapped error', () => {
    for (const name of ['nope', 'loop_detection']) {
      let error: unknown;
      try {
        metrics.buildTemplate(name);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe(ErrorCode.VALIDATION_FAILED);
      expect((error as DomainError).message).toBe(`Unknown metric: ${name}`);
      expect(httpStatusFor((error as DomainError).code)).toBe(422);
    }
    expect(httpStatusFor(ErrorCode.JUDGE_PROVIDER_UNAVAILABLE)).toBe(422);
  });
});
