import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { evalRunTestEnv, waitForRun } from '../factories/eval-run.factory';
import { ingestTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant } from '../support/tenancy';
import { createTestApp } from '../support/test-app';

const RUNS = '/evaluations/trace-runs';
const EXAMPLE = parse(readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8'));
const JUDGE_KEYS = [
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'ANTHROPIC_API_KEY',
  'GEMINI_API_KEY',
  'SCRIPTED_JUDGE_URL',
  'EVAL_LLM_MODEL',
  'EVAL_EMBEDDING_MODEL',
];
/** The judge settings of .env.example, as `npm run setup` writes them. */
const exampleJudge = (overrides: Record<string, string> = {}) => ({
  ...Object.fromEntries(JUDGE_KEYS.map((k) => [k, EXAMPLE[k] ?? ''])),
  ...overrides,
});

describe('honest judge defaults: canned answers are never labelled as a real model', () => {
  let judge: JudgeServer;
  beforeAll(async () => {
    judge = await startJudgeServer();
  });
  afterAll(() => judge.close());

  it('out of the box (.env.example): runs and scores name the scripted judge scripted/...', async () => {
    const env = exampleJudge({ SCRIPTED_JUDGE_URL: judge.baseUrl });
    const t = await createTestApp({ ...evalRunTestEnv('', 'hd', { RUN_WORKER_IN_PROCESS: 'true' }), ...env });
    try {
      const a = await createTenant(t);
      const trace = await ingestTrace(t, a, { tags: ['honest'] });
      const created = await t.http
        .post(RUNS)
        .set(a.headers)
        .send({ metrics: ['confidence', 'coherence'], filters: { tags: ['honest'] } })
        .expect(202);
      expect(created.body.model).toBe(EXAMPLE.EVAL_LLM_MODEL);
      expect(created.body.model).toMatch(/^scripted\//);
      const run = await waitForRun(t, a, created.body.id);
      expect(run).toMatchObject({ status: 'COMPLETED', model: EXAMPLE.EVAL_LLM_MODEL });
      const scores = (await t.http.get(`${RUNS}/${run.id}/scores`).set(a.headers).expect(200)).body;
      expect(scores).toHaveLength(2);
      for (const s of scores) {
        expect(s).toMatchObject({ trace_id: trace.trace_id, status: 'SUCCESS' });
        expect(s.metadata.judge_usage.model).toMatch(/^scripted\//);
      }
      // The calls really went to the scripted server, chat and embeddings alike.
      expect(new Set(judge.requests.map((r) => r.endpoint))).toEqual(new Set(['chat', 'embeddings']));
      const providers = (await t.http.get('/evaluations/providers').set(a.headers).expect(200)).body;
      expect(providers.find((p: { key: string }) => p.key === 'scripted')).toMatchObject({
        available: true,
        name: 'Scripted judge',
      });
      expect(providers.filter((p: { available: boolean }) => p.available).map((p: { key: string }) => p.key)).toEqual([
        'scripted',
      ]);
    } finally {
      await t.close();
    }
  });

  it('without any provider (no .env): a run is refused with a 422 saying what to configure', async () => {
    // Unset (undefined), as without .env: the code's defaults apply.
    const env = Object.fromEntries(JUDGE_KEYS.map((k) => [k, undefined])) as unknown as Record<string, string>;
    const t = await createTestApp({ ...evalRunTestEnv('', 'hd'), ...env });
    try {
      const a = await createTenant(t);
      await ingestTrace(t, a);
      const res = await t.http
        .post(RUNS)
        .set(a.headers)
        .send({ metrics: ['confidence'] })
        .expect(422);
      expect(res.body.detail).toBe(
        "Judge provider 'openai' for model 'openai/gpt-4o-mini' is not configured: set OPENAI_API_KEY " +
          '(or OPENAI_BASE_URL for a keyless compatible server), or choose another model ' +
          '(GET /evaluations/providers lists what is configured; docs/judge.md).',
      );
      expect(await t.dataSource.query('SELECT 1 FROM eval_runs WHERE project_id = $1', [a.projectId])).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('the scripted judge cannot be reached under a real name: scripted/... needs SCRIPTED_JUDGE_URL', async () => {
    const t = await createTestApp({ ...evalRunTestEnv(judge.baseUrl, 'hd'), SCRIPTED_JUDGE_URL: '' });
    try {
      const a = await createTenant(t);
      await ingestTrace(t, a);
      const res = await t.http
        .post(RUNS)
        .set(a.headers)
        .send({ metrics: ['confidence'], model: 'scripted/canned-judge' })
        .expect(422);
      expect(res.body.detail).toContain('set SCRIPTED_JUDGE_URL');
    } finally {
      await t.close();
    }
  });
});
