import type { z } from 'zod';
import type { JudgeService } from '../judge/judge.service';
import type { CallUsage, JudgeUsage, StageRef, UsageSink } from '../judge/judge.types';
import type { MetricContext } from './metric-definition';
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
    this.usage.input_tokens += call.input_tokens;
    this.usage.output_tokens += call.output_tokens;
    this.usage.latency_ms += call.latency_ms;
  }
}

/** The evaluation was stopped from outside before a judge call (see TraceEvaluation.guard). */
export class EvaluationInterrupted extends Error {
  constructor(readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'EvaluationInterrupted';
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
  /** Runs before every judge call; a throw marks the metric interrupted (see MetricsService.evaluateTrace). */
  guard?: () => void;

  constructor(
    readonly trace: TraceView,
    private readonly judge: JudgeService,
    private readonly budget: RenderBudget,
    private readonly model: string | undefined,
    private readonly sessionOutputs?: unknown[],
  ) {}

  private runGuard(): void {
    try {
      this.guard?.();
    } catch (error) {
      throw new EvaluationInterrupted(error);
    }
  }

  rendering(): RenderedTrace {
    this.renderedTrace ??= renderTrace(this.trace, this.budget);
    return this.renderedTrace;
  }

  forMetric(tracker: UsageTracker, threshold: number): MetricContext {
    return {
      trace: this.trace,
      threshold,
      sessionOutputs: this.sessionOutputs,
      rendered: () => this.rendering().text,
      taskContext: () => (this.task ??= renderTaskContext(this.trace, this.budget)),
      ask: async <T>(stage: StageRef, schema: z.ZodType<T>, prompt: string) => {
        this.runGuard();
        return (await this.judge.generate(stage, schema, prompt, { model: this.model, usage: tracker })).value;
      },
      embed: async (texts: string[]) => {
        this.runGuard();
        return (await this.judge.embed(texts, { usage: tracker })).vectors;
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
