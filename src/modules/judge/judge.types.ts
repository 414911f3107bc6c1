import type { JudgeProviderKey } from '../../config/env';

/**
 * Accumulated cost of judging one metric on one trace (what a score records). Token counts are
 * null when a provider did not report them (none, or not a finite number) for any of the calls:
 * unknown, never a guessed 0 or a NaN that would poison a run's totals.
 */
export interface JudgeUsage {
  model: string;
  calls: number;
  input_tokens: number | null;
  output_tokens: number | null;
  latency_ms: number;
}

/** Cost of one judge request (possibly several HTTP attempts); tokens null when unreported. */
export interface CallUsage {
  model: string;
  /** HTTP calls made, retries included. */
  calls: number;
  input_tokens: number | null;
  output_tokens: number | null;
  latency_ms: number;
}

/** Adds token counts where unknown (null) wins: a sum with an unknown part is unknown. */
export function addTokens(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

/** A provider's token count as we record it: a finite, non-negative number, else null (unknown). */
export function reportedTokens(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
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

/**
 * A budget every HTTP call must win a place in before it starts (a run's max_judge_calls and
 * max_judge_tokens). Calls are bounded exactly; tokens by the estimates reserved (docs/eval-runs.md).
 */
export interface CallBudget {
  /** Reserves one call and its estimated tokens; throws JudgeBudgetExhausted when they do not fit. */
  reserve(estimatedTokens: number): Promise<void>;
  /** After the attempt: `made` false gives the reservation back; else the reported tokens (null: unknown, the estimate stays) replace the estimate. */
  settle(estimatedTokens: number, made: boolean, actualTokens: number | null): Promise<void>;
}

/** A judge call refused by its CallBudget: no HTTP call was made. */
export class JudgeBudgetExhausted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JudgeBudgetExhausted';
  }
}

export interface GenerateOptions {
  /** `provider/model` or a bare model name; the configured default when absent. */
  model?: string;
  /** Receives the usage of every HTTP call, failed attempts included. */
  usage?: UsageSink;
  /** Stops the call (waiting for a limiter slot, a backoff, or the HTTP attempt) with its reason. */
  signal?: AbortSignal;
  /** Every HTTP call (retries and the text-mode fallback included) reserves its place here first. */
  budget?: CallBudget;
  /** Receives each HTTP attempt's prompt, answer, error and usage (embeddings keep none). */
  transcript?: TranscriptSink;
}

export interface EmbedOptions {
  usage?: UsageSink;
  budget?: CallBudget;
  signal?: AbortSignal;
  /**
   * Whose texts these are (the project id). The embedding cache is keyed by it, so one tenant
   * can never learn from a free cache hit that another embedded the same text.
   */
  scope?: string;
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

/** One HTTP attempt of a judge request, as a transcript keeps it: what was sent, what came back. */
export interface JudgeAttempt {
  /** `metric.stage`. */
  stage: string;
  model: string;
  /** 1-based, within its request (retries count up). */
  attempt: number;
  /** `structured` (response_format) or `text` (the JSON asked for in the prompt). */
  mode: 'structured' | 'text';
  system: string;
  prompt: string;
  /** The judge's answer text; null when none came (an HTTP error, a timeout). */
  answer: string | null;
  /** Why the attempt failed; null when its answer was used. */
  error: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  latency_ms: number;
}

/** Receives every attempt of the requests it is passed to (GenerateOptions.transcript). */
export interface TranscriptSink {
  add(attempt: JudgeAttempt): void;
}
