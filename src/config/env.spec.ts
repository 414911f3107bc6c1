import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { resolveModel } from '../modules/judge/model-resolver';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './env';

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8000);
    expect(c.runWorkerInProcess).toBe(false);
    expect(c.rateLimits).toEqual({
      windowMs: 60000,
      default: 200,
      ingest: 100,
      ingestBurst: 1000,
      evalRuns: 50,
      monitorTrigger: 10,
      cliExchange: 20,
      invitationsPerHour: 10,
    });
    expect(c.apiProcesses).toBe(1);
    expect(c.apiKeyCacheTtlMs).toBe(1000);
    expect(c.evalRuns.workerConcurrency).toBe(32);
    expect(c.monitors).toEqual({ schedulerEnabled: true, tickMs: 15000, ingestGraceMs: 300000, traceQuietMs: 300000 });
    expect(c.judge.temperature).toBe(0);
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', RUN_WORKER_IN_PROCESS: 'maybe', INIT_API_KEY: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'DATABASE_URL', 'RUN_WORKER_IN_PROCESS', 'INIT_API_KEY'])
      expect(message).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('validates the monitor settings', () => {
    expect(loadConfig({ MONITOR_SCHEDULER_ENABLED: 'false', MONITOR_TICK_MS: '250' }).monitors).toMatchObject({
      schedulerEnabled: false,
      tickMs: 250,
    });
    expect(() => loadConfig({ MONITOR_TICK_MS: '10' })).toThrow(/MONITOR_TICK_MS/);
    expect(() => loadConfig({ MONITOR_INGEST_GRACE_MS: '-1' })).toThrow(/MONITOR_INGEST_GRACE_MS/);
    expect(() => loadConfig({ MONITOR_TRACE_QUIET_MS: '-1' })).toThrow(/MONITOR_TRACE_QUIET_MS/);
  });

  it('falls back to the global judge limits unless a provider overrides them', () => {
    const c = loadConfig({ JUDGE_RPM: '60', JUDGE_ANTHROPIC_RPM: '10', JUDGE_MAX_IN_FLIGHT: '4' });
    expect(c.judge.providers.openai.limits).toEqual({ rpm: 60, tpm: 0, maxInFlight: 4 });
    expect(c.judge.providers.anthropic.limits).toEqual({ rpm: 10, tpm: 0, maxInFlight: 4 });
  });

  it('parses booleans and keeps blank optional values unset', () => {
    const c = loadConfig({ RUN_WORKER_IN_PROCESS: 'true', JWT_SECRET: '  ', OPENAI_BASE_URL: '' });
    expect(c.runWorkerInProcess).toBe(true);
    expect(c.auth.jwtSecret).toBeUndefined();
    expect(c.judge.providers.openai.baseUrl).toBeUndefined();
  });
});

describe('.env.example', () => {
  it('lists exactly the variables the service reads', () => {
    const text = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    const listed = new Set(
      text
        .split('\n')
        .filter((l) => /^[A-Z0-9_]+=/.test(l))
        .map((l) => l.split('=')[0]),
    );
    expect(CONFIG_VARIABLES.filter((v) => !listed.has(v))).toEqual([]);
    expect([...listed].filter((v) => !(CONFIG_VARIABLES as string[]).includes(v))).toEqual([]);
  });
});

describe('the out-of-the-box judge (.env.example)', () => {
  const example = parse(readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8'));

  it('names the scripted judge what it is: scripted/... models, and no real provider pointed at it', () => {
    const c = loadConfig(example);
    expect(resolveModel(undefined, c.judge.defaultModel).provider).toBe('scripted');
    expect(resolveModel(undefined, c.judge.embeddingModel).provider).toBe('scripted');
    expect(c.judge.defaultModel).toMatch(/^scripted\//);
    expect(c.judge.providers.scripted.baseUrl).toBe('http://127.0.0.1:4010/v1');
    for (const key of ['openai', 'anthropic', 'gemini'] as const) {
      expect(c.judge.providers[key].baseUrl).toBeUndefined();
      expect(c.judge.providers[key].apiKey).toBeUndefined();
    }
  });

  it('without .env, the default models are real ones and no provider is configured (runs get a 422)', () => {
    const c = loadConfig({});
    expect(c.judge.defaultModel).toBe('openai/gpt-4o-mini');
    expect(c.judge.providers.openai).toMatchObject({ apiKey: undefined, baseUrl: undefined });
    expect(c.judge.providers.scripted.baseUrl).toBeUndefined();
  });
});
