import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { JudgeMetrics } from '../operators/judge-metrics.service';
import { JudgeLimiter, sleep } from './judge-limiter';
import {
  addTokens,
  reportedTokens,
  type CallUsage,
  type EmbedOptions,
  type EmbedResult,
  type GenerateOptions,
  type GenerateResult,
  type ResolvedModel,
  type StageRef,
} from './judge.types';
import { EmbeddingCache } from './embedding-cache';
import { attemptError, transcriptListener, type AttemptListener, type SeenAttempt } from './judge-transcript';
import { JUDGE_SYSTEM_PROMPT, stageSchemaName } from './judge-prompt';
import {
  outputSchema,
  parseTextOrThrow,
  rejectsStructuredOutput,
  sumKnown,
  tokensOf,
  type InvalidOutputWithUsage,
} from './judge-output';
import { JUDGE_PROVIDERS, providerStatus, resolveModel, type ProviderStatus } from './model-resolver';
import { ProviderHealthBook } from './provider-health';
import { assertReachable } from './provider-reachability';
import { aiSdk, AiSdkModels } from './providers/ai-sdk-models';
import { generateOnce } from './providers/model-call';
import {
  classifyFailure,
  InvalidJudgeOutputError,
  JudgeTimeoutError,
  retryDelayMs,
  type ClassifiedFailure,
} from './retry-policy';

export { JUDGE_SYSTEM_PROMPT, stageSchemaName } from './judge-prompt';

/** Output tokens reserved per call when booking the token limiter before the answer is known. */
const OUTPUT_TOKEN_RESERVE = 400;

/**
 * What embedMany gets: no SDK retries (withRetries does them) and no SDK telemetry. The judge
 * registers no telemetry integration, yet left on the SDK still builds its tracing-channel events
 * for every call (measured in docs/performance.md, issue 27 point 4).
 */
const SDK_CALL = { maxRetries: 0, telemetry: { isEnabled: false } } as const;

interface AttemptOutcome<R> {
  value: R;
  /** As the provider reported them; null when it did not (or not as a finite number). */
  inputTokens: number | null;
  outputTokens: number | null;
  /** Extra HTTP calls made inside the attempt (the text-mode fallback). */
  extraCalls?: number;
}

/**
 * Calls the judge model: structured output against a zod schema (text + JSON parse as fallback),
 * embeddings, a per-call timeout, retries with backoff, the shared Redis limiter, usage per call.
 */
@Injectable()
export class JudgeService implements OnModuleDestroy {
  private readonly models: AiSdkModels;
  private readonly limiter: JudgeLimiter;
  private readonly health: ProviderHealthBook;
  /** Models that refused response_format once: later calls go straight to text mode. */
  private readonly textOnlyModels = new Set<string>();
  private readonly embeddingCache = new EmbeddingCache();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    // Operator signal hook: every HTTP call is recorded for /metrics (calls, latency, tokens, errors by provider).
    @Optional() private readonly callMetrics?: JudgeMetrics,
  ) {
    this.models = new AiSdkModels(config);
    this.limiter = new JudgeLimiter(config);
    this.health = new ProviderHealthBook(config, () => this.limiter.client());
  }

  async onModuleDestroy() {
    await this.limiter.close();
  }

  /** Resolves `provider/model` or a bare name (default: EVAL_LLM_MODEL). Unknown provider: 422-mapped DomainError. */
  resolveModel(model?: string): ResolvedModel {
    return resolveModel(model, this.config.judge.defaultModel);
  }

  /** The resolved model string when its provider is known and configured; else a 422-mapped DomainError. */
  assertModelUsable(model?: string): string {
    const resolved = this.resolveModel(model);
    const info = JUDGE_PROVIDERS.find((p) => p.key === resolved.provider)!;
    const status = providerStatus(this.config, info);
    if (!status.available) {
      throw new DomainError(
        ErrorCode.JUDGE_PROVIDER_UNAVAILABLE,
        `Judge provider '${resolved.provider}' for model '${resolved.id}' is not configured: set ${info.requires}, ` +
          `or choose another model (GET /evaluations/providers lists what is configured; docs/judge.md).`,
      );
    }
    return resolved.id;
  }

  /** assertModelUsable, and a 422 when the provider is known unreachable and still does not answer. */
  async assertModelReady(model?: string): Promise<string> {
    const id = this.assertModelUsable(model);
    await assertReachable(this.config, this.health, this.resolveModel(id).provider);
    return id;
  }

  /** 422-mapped DomainError unless EVAL_EMBEDDING_MODEL names a configured provider that offers embeddings. */
  assertEmbeddingModelUsable(forMetrics: string[]): void {
    const model = this.resolveModel(this.config.judge.embeddingModel);
    if (model.provider === 'anthropic') {
      throw new DomainError(
        ErrorCode.JUDGE_PROVIDER_UNAVAILABLE,
        `${forMetrics.join(', ')} needs embeddings, and EVAL_EMBEDDING_MODEL '${model.id}' names Anthropic, which offers none: set it to an openai/ or gemini/ embedding model.`,
      );
    }
    this.assertModelUsable(model.id);
  }

  /** Each provider: configured or not, unreachable after a failed call, settings the SDK dropped. */
  listProviders(
    view: 'operator' | 'tenant' = 'operator',
    showModel: (model: string) => boolean = () => true,
  ): Promise<ProviderStatus[]> {
    return Promise.all(
      JUDGE_PROVIDERS.map(async (info) => {
        const health = await this.health.read(info.key);
        return providerStatus(
          this.config,
          info,
          { ...health, dropped: health.dropped.filter((d) => showModel(d.model)) },
          view,
        );
      }),
    );
  }

  /** The limiter, exposed for health checks and tests. */
  get sharedLimiter(): JudgeLimiter {
    return this.limiter;
  }

  /**
   * Asks the judge for an answer shaped by `schema`. Tries structured output first; a model that
   * rejects response_format is asked again in text mode and the JSON is parsed from its answer.
   */
  async generate<T>(
    stage: StageRef,
    schema: z.ZodType<T>,
    prompt: string,
    opts: GenerateOptions = {},
  ): Promise<GenerateResult<T>> {
    const model = this.resolveModel(opts.model);
    this.assertModelUsable(model.id);
    const languageModel = await this.models.language(model);
    const { asSchema } = await aiSdk();
    const json = { schema: await outputSchema(schema, asSchema).jsonSchema, name: stageSchemaName(stage) };
    const estimate = Math.ceil((JUDGE_SYSTEM_PROMPT.length + prompt.length) / 4) + OUTPUT_TOKEN_RESERVE;

    // What the current attempt sent and got back, for the transcript.
    let seen: SeenAttempt = { mode: 'structured', prompt, answer: null };

    // One model call; its answer is parsed and validated here (a fenced or wrapped object too).
    const ask = async (mode: SeenAttempt['mode'], text: string, signal: AbortSignal): Promise<AttemptOutcome<T>> => {
      seen = { mode, prompt: text, answer: null };
      const answer = await generateOnce(languageModel, {
        instructions: JUDGE_SYSTEM_PROMPT,
        prompt: text,
        temperature: this.config.judge.temperature,
        json: mode === 'structured' ? json : undefined,
        abortSignal: signal,
      });
      seen.answer = answer.text;
      this.health.noteWarnings(model, answer.warnings);
      const usage = tokensOf(answer);
      return { value: parseTextOrThrow(answer.text, schema, usage), ...usage };
    };
    const textMode = (signal: AbortSignal) =>
      ask(
        'text',
        `${prompt}\n\nAnswer with one JSON object following this JSON Schema, with no other text:\n${JSON.stringify(z.toJSONSchema(schema))}`,
        signal,
      );

    const onAttempt = opts.transcript && transcriptListener(opts.transcript, stage, model.id, () => seen);

    return this.withRetries(
      model,
      estimate,
      opts,
      async (signal) => {
        if (this.textOnlyModels.has(model.id)) return textMode(signal);
        try {
          return await ask('structured', prompt, signal);
        } catch (error) {
          if (!rejectsStructuredOutput(error)) throw error;
          this.textOnlyModels.add(model.id);
          // A second HTTP call inside this attempt: it needs a place in the budget too (kept at its estimate).
          await opts.budget?.reserve(estimate);
          try {
            const outcome = await textMode(signal);
            return { ...outcome, extraCalls: 1 };
          } finally {
            await opts.budget?.settle(estimate, true, null);
          }
        }
      },
      onAttempt,
    );
  }

  /**
   * Embeds texts with EVAL_EMBEDDING_MODEL, same timeout, retry and limiter rules. Vectors are
   * cached per scope (the project): without a scope nothing is cached.
   */
  async embed(texts: string[], opts: EmbedOptions = {}): Promise<EmbedResult> {
    const model = this.resolveModel(this.config.judge.embeddingModel);
    const scope = opts.scope;
    const cacheKey = (text: string) =>
      createHash('sha256').update(`${scope}\u0000${model.id}\u0000${text}`).digest('hex');
    const vectors: (number[] | undefined)[] = texts.map((t) =>
      scope === undefined ? undefined : this.embeddingCache.get(cacheKey(t)),
    );
    const missing = [...new Set(texts.filter((_, i) => !vectors[i]))];
    if (missing.length === 0) {
      return {
        vectors: vectors as number[][],
        usage: { model: model.id, calls: 0, input_tokens: 0, output_tokens: 0, latency_ms: 0 },
      };
    }
    this.assertModelUsable(model.id);
    const embeddingModel = await this.models.embedding(model);
    const { embedMany } = await aiSdk();
    const estimate = Math.ceil(missing.reduce((n, t) => n + t.length, 0) / 4) + 1;
    const result = await this.withRetries(model, estimate, opts, async (signal) => {
      const out = await embedMany({ model: embeddingModel, values: missing, ...SDK_CALL, abortSignal: signal });
      // Gemini's embedding endpoints report no usage: the SDK then sums undefined into NaN.
      return { value: out.embeddings, inputTokens: reportedTokens(out.usage?.tokens), outputTokens: 0 };
    });
    if (scope !== undefined) result.value.forEach((vec, i) => this.embeddingCache.remember(cacheKey(missing[i]), vec));
    const byText = new Map(missing.map((t, i) => [t, result.value[i]]));
    return { vectors: texts.map((t, i) => vectors[i] ?? byText.get(t)!), usage: result.usage };
  }

  private async withRetries<R>(
    model: ResolvedModel,
    estimatedTokens: number,
    opts: { usage?: GenerateOptions['usage']; signal?: AbortSignal; budget?: GenerateOptions['budget'] },
    attempt: (signal: AbortSignal) => Promise<AttemptOutcome<R>>,
    onAttempt?: AttemptListener,
  ): Promise<{ value: R; usage: CallUsage }> {
    const { maxRetries, retryBaseMs, retryMaxMs, timeoutMs } = this.config.judge;
    const total: CallUsage = { model: model.id, calls: 0, input_tokens: 0, output_tokens: 0, latency_ms: 0 };
    const book = (
      calls: number,
      inputTokens: number | null,
      outputTokens: number | null,
      latency: number,
      errorKind?: string,
    ) => {
      this.callMetrics?.recordCall({
        provider: model.provider,
        model: model.id,
        ok: errorKind === undefined,
        latencyMs: latency,
        inputTokens: inputTokens ?? undefined,
        outputTokens: outputTokens ?? undefined,
        errorKind,
      });
      const one: CallUsage = {
        model: model.id,
        calls,
        input_tokens: inputTokens,
        output_tokens: outputTokens,
        latency_ms: latency,
      };
      total.calls += calls;
      total.input_tokens = addTokens(total.input_tokens, inputTokens);
      total.output_tokens = addTokens(total.output_tokens, outputTokens);
      total.latency_ms += latency;
      opts.usage?.add(one);
    };

    let last: ClassifiedFailure | undefined;
    const attempts = maxRetries + 1;
    const aborted = () => {
      if (!opts.signal?.aborted) return;
      const reason = opts.signal.reason instanceof Error ? opts.signal.reason.message : 'aborted';
      throw new DomainError(ErrorCode.JUDGE_CALL_FAILED, `Judge call stopped: ${reason}`, { usage: { ...total } });
    };
    for (let n = 1; n <= attempts; n++) {
      if (n > 1 && last) await sleep(retryDelayMs(n - 1, last, retryBaseMs, retryMaxMs), opts.signal);
      aborted();
      // Before the limiter: a refused reservation makes no call and holds no limiter slot.
      await opts.budget?.reserve(estimatedTokens);
      let lease;
      try {
        // Waiting for a slot is bounded like a call: a limiter that stays full is a retryable timeout.
        lease = await this.limiter.acquire(model.provider, estimatedTokens, {
          signal: opts.signal,
          deadline: Date.now() + timeoutMs,
        });
      } catch (error) {
        await opts.budget?.settle(estimatedTokens, false, null);
        aborted();
        last = classifyFailure(error);
        continue;
      }
      const controller = new AbortController();
      const stop = () => controller.abort(opts.signal?.reason);
      opts.signal?.addEventListener('abort', stop, { once: true });
      const timer = setTimeout(() => controller.abort(new JudgeTimeoutError(timeoutMs)), timeoutMs);
      const started = Date.now();
      let actualTokens: number | undefined;
      try {
        const outcome = await attempt(controller.signal);
        actualTokens = sumKnown(outcome.inputTokens, outcome.outputTokens);
        const latency = Date.now() - started;
        book(1 + (outcome.extraCalls ?? 0), outcome.inputTokens, outcome.outputTokens, latency);
        onAttempt?.(n, null, outcome, latency);
        this.health.noteSuccess(model.provider);
        return { value: outcome.value, usage: { ...total } };
      } catch (raw) {
        const error = controller.signal.aborted ? new JudgeTimeoutError(timeoutMs) : raw;
        const tokens = error instanceof InvalidJudgeOutputError ? (error as InvalidOutputWithUsage).usage : undefined;
        actualTokens = tokens ? sumKnown(tokens.inputTokens, tokens.outputTokens) : undefined;
        const failure = error instanceof DomainError ? undefined : classifyFailure(error);
        const latency = Date.now() - started;
        book(
          1,
          tokens ? tokens.inputTokens : 0,
          tokens ? tokens.outputTokens : 0,
          latency,
          failure?.kind ?? 'rejected',
        );
        onAttempt?.(n, attemptError(error), tokens ?? { inputTokens: 0, outputTokens: 0 }, latency);
        aborted();
        if (!failure) throw error;
        last = failure;
        if (last.kind === 'invalid_output' || last.status !== undefined) this.health.noteSuccess(model.provider);
        else this.health.noteFailure(model.provider, last);
        if (!last.retryable) {
          throw new DomainError(
            ErrorCode.JUDGE_CALL_FAILED,
            `Judge provider rejected the request (${last.status ?? 'no status'}) for model '${model.id}': ${last.summary}`,
            { usage: { ...total }, status: last.status },
          );
        }
      } finally {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', stop);
        await lease.release(actualTokens);
        await opts.budget?.settle(estimatedTokens, true, actualTokens ?? null);
      }
    }
    throw new DomainError(
      last?.kind === 'invalid_output' ? ErrorCode.JUDGE_INVALID_OUTPUT : ErrorCode.JUDGE_CALL_FAILED,
      `Judge call failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${last?.summary ?? 'unknown error'}`,
      { usage: { ...total }, status: last?.status },
    );
  }
}
