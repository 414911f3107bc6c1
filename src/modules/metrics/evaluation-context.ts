import type { z } from 'zod';
import type { JudgeService } from '../judge/judge.service';
import {
  addTokens,
  JudgeBudgetExhausted,
  type CallUsage,
  type JudgeUsage,
  type JudgeAttempt,
  type StageRef,
  type TranscriptSink,
  type UsageSink,
} from '../judge/judge.types';
import type { MetricContext } from './metric-definition';
import type { EvaluateTraceOptions } from './metrics.types';
import { renderTaskContext, renderTrace, type RenderBudget, type RenderedTrace } from './render/render-trace';
import type { TraceView } from './types/trace-view';

/** Sums the usage of every call one metric makes on one trace. */
export class UsageTracker implements UsageSink {
  readonly usage: JudgeUsage;

  constructor(model: string) {
    this.usage = { model, calls: 0, input_tokens: 0, output_tokens: 0, latency_ms: 0 };
  }

  add(call: CallUsage): void {
    if (this.usage.calls === 0) this.usage.model = call.model;
    this.usage.calls += call.calls;
    this.usage.input_tokens = addTokens(this.usage.input_tokens, call.input_tokens);
    this.usage.output_tokens = addTokens(this.usage.output_tokens, call.output_tokens);
    this.usage.latency_ms += call.latency_ms;
  }
}

/** The attempts of every judge call one metric makes on one trace, in order (its transcript). */
export class TranscriptRecorder implements TranscriptSink {
  readonly attempts: JudgeAttempt[] = [];

  add(attempt: JudgeAttempt): void {
    this.attempts.push(attempt);
  }
}

/** The evaluation was stopped from outside before a judge call (EvaluateTraceOptions.beforeJudgeCall). */
export class EvaluationInterrupted extends Error {
  constructor(readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'EvaluationInterrupted';
  }
}

/** A call its budget refused is not a verdict: the metric is unfinished (interrupted), not failed. */
async function budgeted<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw error instanceof JudgeBudgetExhausted ? new EvaluationInterrupted(error) : error;
  }
}

/**
 * One trace evaluation: the trace is rendered once, and extractions several metrics need (task,
 * plan) run once, whichever metric asks first; the others await the same promise.
 */
export class TraceEvaluation {
  private renderedTrace?: RenderedTrace;
  private task?: string;
  private readonly memo = new Map<string, Promise<unknown>>();
  constructor(
    readonly trace: TraceView,
    private readonly judge: JudgeService,
    private readonly budget: RenderBudget,
    private readonly opts: EvaluateTraceOptions = {},
  ) {}

  /** Metrics from outside the registry this evaluation may use (a run's custom metrics). */
  get definitions(): EvaluateTraceOptions['definitions'] {
    return this.opts.definitions;
  }

  /**
   * Longest text sent to the embeddings endpoint: half the rendering budget (input and output are
   * embedded together), so a huge input costs no more than a rendered trace.
   */
  get embeddingChars(): number {
    return Math.floor(this.budget.totalChars / 2);
  }

  /** Runs before every judge call; a throw marks the metric interrupted (see MetricsService.evaluateTrace). */
  private runGuard(): void {
    try {
      this.opts.beforeJudgeCall?.();
    } catch (error) {
      throw new EvaluationInterrupted(error);
    }
  }

  /** Adds a call's tokens to the organization's day; accounting never fails the metric. */
  private recordTokens(usage: CallUsage): void {
    const tokens = (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0);
    void this.opts.judgeQuota?.record(tokens).catch(() => undefined);
  }

  rendering(): RenderedTrace {
    this.renderedTrace ??= renderTrace(this.trace, this.budget);
    return this.renderedTrace;
  }

  /** `transcript` receives the metric's judge attempts (a shared extraction's go to the metric that ran it). */
  forMetric(tracker: UsageTracker, threshold: number, transcript?: TranscriptSink): MetricContext {
    return {
      trace: this.trace,
      threshold,
      sessionOutputs: this.opts.sessionTraces ? this.opts.sessionTraces.map((t) => t.output) : null,
      sessionHistory: this.opts.sessionHistory ?? [],
      rendered: () => this.rendering().text,
      taskContext: () => (this.task ??= renderTaskContext(this.trace, this.budget)),
      ask: async <T>(stage: StageRef, schema: z.ZodType<T>, prompt: string, ownModel?: string) => {
        this.runGuard();
        const { signal, budget } = this.opts;
        const model = ownModel ?? this.opts.model;
        await this.opts.judgeQuota?.reserve();
        const result = await budgeted(
          this.judge.generate(stage, schema, prompt, { model, usage: tracker, signal, budget, transcript }),
        );
        this.recordTokens(result.usage);
        return result.value;
      },
      embed: async (texts: string[]) => {
        this.runGuard();
        const giveBack = await this.opts.judgeQuota?.reserve();
        const fitted = texts.map((t) => (t.length > this.embeddingChars ? t.slice(0, this.embeddingChars) : t));
        const { signal, budget, projectId: scope } = this.opts;
        const result = await budgeted(this.judge.embed(fitted, { usage: tracker, signal, scope, budget }));
        // Every vector came from the project's cache: no call was made, so the day does not count one.
        if (result.usage.calls === 0) await giveBack?.();
        else this.recordTokens(result.usage);
        return result.vectors;
      },
      shared: <T>(key: string, compute: () => Promise<T>) => {
        let pending = this.memo.get(key) as Promise<T> | undefined;
        if (!pending) {
          pending = compute();
          this.memo.set(key, pending);
        }
        return pending;
      },
    };
  }
}
