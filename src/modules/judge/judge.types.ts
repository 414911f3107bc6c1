import type { JudgeProviderKey } from '../../config/env';

/** Accumulated cost of judging one metric on one trace (what a score records). */
export interface JudgeUsage {
  model: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  latency_ms: number;
}

/** Cost of one judge request (possibly several HTTP attempts). */
export interface CallUsage {
  model: string;
  /** HTTP calls made, retries included. */
  calls: number;
  input_tokens: number;
  output_tokens: number;
  latency_ms: number;
}

/** A resolved `provider/model` string. */
export interface ResolvedModel {
  provider: JudgeProviderKey;
  modelId: string;
  /** Canonical `provider/model` form, e.g. `openai/gpt-4o-mini`. */
  id: string;
}

/** Identifies one prompt stage, e.g. `{ metric: 'task_completion', stage: 'extract' }`. */
export interface StageRef {
  metric: string;
  stage: string;
}

export interface GenerateOptions {
  /** `provider/model` or a bare model name; the configured default when absent. */
  model?: string;
  /** Receives the usage of every HTTP call, failed attempts included. */
  usage?: UsageSink;
}

export interface EmbedOptions {
  usage?: UsageSink;
}

export interface UsageSink {
  add(usage: CallUsage): void;
}

export interface GenerateResult<T> {
  value: T;
  usage: CallUsage;
}

export interface EmbedResult {
  vectors: number[][];
  usage: CallUsage;
}
