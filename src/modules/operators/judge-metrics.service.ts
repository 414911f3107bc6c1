import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry, observeMs } from './metrics-registry';

/** One call to a judge model (chat or embedding), as the judge reports it. */
export interface JudgeCallRecord {
  /** `openai`, `anthropic`, `google`, `openai-compatible`, … */
  provider: string;
  model: string;
  ok: boolean;
  latencyMs: number;
  inputTokens?: number;
  outputTokens?: number;
  /** On failure: a short, bounded kind such as `rate_limited`, `timeout`, `server_error`, `auth`, `invalid_output`. */
  errorKind?: string;
}

/** Judge call counters: calls, latency, tokens and errors by provider. Never throws. */
@Injectable()
export class JudgeMetrics {
  private readonly calls: Counter<'provider' | 'model' | 'outcome'>;
  private readonly latency: Histogram<'provider'>;
  private readonly tokens: Counter<'provider' | 'direction'>;
  private readonly errors: Counter<'provider' | 'kind'>;
  /** The deployment's own models keep their name as a label; a model a tenant named is `other`. */
  private readonly namedModels: Set<string>;

  constructor(metrics: MetricsRegistry, @Inject(APP_CONFIG) config: AppConfig) {
    this.namedModels = new Set([config.judge.defaultModel, config.judge.embeddingModel]);
    this.calls = metrics.counter({
      name: 'judge_calls_total',
      help: "Judge model calls, by provider, model (the deployment's default models by name, any other as other) and outcome.",
      labelNames: ['provider', 'model', 'outcome'],
    });
    this.latency = metrics.histogram({
      name: 'judge_call_duration_seconds',
      help: 'Latency of judge model calls, by provider.',
      labelNames: ['provider'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    });
    this.tokens = metrics.counter({
      name: 'judge_tokens_total',
      help: 'Tokens used by judge calls, by provider and direction (input, output).',
      labelNames: ['provider', 'direction'],
    });
    this.errors = metrics.counter({
      name: 'judge_errors_total',
      help: 'Failed judge calls, by provider and error kind.',
      labelNames: ['provider', 'kind'],
    });
  }

  recordCall(call: JudgeCallRecord): void {
    const { provider } = call;
    const model = this.namedModels.has(call.model) ? call.model : 'other';
    this.calls.inc({ provider, model, outcome: call.ok ? 'ok' : 'error' });
    observeMs(this.latency, { provider }, call.latencyMs);
    if (call.inputTokens) this.tokens.inc({ provider, direction: 'input' }, call.inputTokens);
    if (call.outputTokens) this.tokens.inc({ provider, direction: 'output' }, call.outputTokens);
    if (!call.ok) this.errors.inc({ provider, kind: call.errorKind ?? 'unknown' });
  }
}
