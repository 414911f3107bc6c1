import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { JudgeService } from '../judge/judge.service';
import { EvaluationInterrupted, TraceEvaluation, TranscriptRecorder, UsageTracker } from './evaluation-context';
import { MetricRegistry } from './metric-registry';
import type {
  EvaluateTraceOptions,
  MetricOutcome,
  SessionMetricSummary,
  TraceMetricSummary,
  TraceRunTemplate,
} from './metrics.types';
import { SESSION_METRICS, sessionMetric } from './session/session-metrics';
import { renderTaskContext, renderTrace } from './render/render-trace';
import { SAMPLE_TRACE } from './sample-trace';
import type { MetricDefinition } from './metric-definition';
import type { TraceView } from './types/trace-view';

/** Scores traces with the registered metrics; what the eval-run workers call. */
@Injectable()
export class MetricsService {
  constructor(
    private readonly judge: JudgeService,
    private readonly registry: MetricRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Evaluates the named metrics on one trace, concurrently. The trace is rendered once and the
   * task/plan extractions are shared between metrics. Never throws for a metric failure: each
   * failure becomes an outcome with ok:false and a reason.
   */
  async evaluateTrace(
    trace: TraceView,
    metricNames: string[],
    opts: EvaluateTraceOptions = {},
  ): Promise<MetricOutcome[]> {
    const evaluation = new TraceEvaluation(trace, this.judge, this.config.judge.render, opts);
    const chatModel = this.modelLabel(opts.model);
    const { signal } = opts;
    // Settles when the signal aborts, so an aborted evaluation does not wait for calls in flight.
    // The listener is removed when the evaluation ends: the worker passes one process-wide signal,
    // and a listener left on it would keep this evaluation (trace, rendered prompt) alive for the
    // life of the process and make every later add/removeEventListener on it slower (a linear scan).
    let fire: (() => void) | undefined;
    const aborted = signal
      ? new Promise<never>((_, reject) => {
          fire = () => reject(new EvaluationInterrupted(signal.reason ?? 'aborted'));
          if (signal.aborted) fire();
          else signal.addEventListener('abort', fire, { once: true });
        })
      : undefined;
    aborted?.catch(() => undefined);
    try {
      return await this.evaluateAll(evaluation, metricNames, chatModel, signal, aborted);
    } finally {
      if (fire) signal?.removeEventListener('abort', fire);
    }
  }

  private evaluateAll(
    evaluation: TraceEvaluation,
    metricNames: string[],
    chatModel: string,
    signal: AbortSignal | undefined,
    aborted: Promise<never> | undefined,
  ): Promise<MetricOutcome[]> {
    const extra = evaluation.definitions;
    return Promise.all(
      metricNames.map(async (name): Promise<MetricOutcome> => {
        const def = this.registry.get(name) ?? extra?.get(name);
        const tracker = new UsageTracker(
          def?.usesEmbeddings ? this.modelLabel(this.config.judge.embeddingModel) : chatModel,
        );
        if (!def) return { metric: name, ok: false, error: `Unknown metric: ${name}`, usage: tracker.usage };
        const recorder = new TranscriptRecorder();
        const version = def.version ?? this.registry.version(name);
        const recorded = () => ({
          version,
          ...(def.dataType ? { dataType: def.dataType } : {}),
          ...(recorder.attempts.length ? { transcript: recorder.attempts } : {}),
        });
        try {
          const evaluating = def.evaluate(evaluation.forMetric(tracker, def.defaultThreshold, recorder));
          if (aborted) evaluating.catch(() => undefined);
          const result = await (aborted ? Promise.race([evaluating, aborted]) : evaluating);
          return {
            metric: name,
            ok: true,
            score: result.score,
            reason: result.reason,
            metadata: result.metadata,
            usage: tracker.usage,
            ...(result.value === undefined ? {} : { value: result.value }),
            ...recorded(),
          };
        } catch (error) {
          if (error instanceof EvaluationInterrupted || signal?.aborted) {
            return { metric: name, ok: false, error: errorMessage(error), usage: tracker.usage, interrupted: true };
          }
          const message = error instanceof Error ? error.message : String(error);
          const reason = error instanceof DomainError ? message : `Metric failed unexpectedly: ${message}`;
          return { metric: name, ok: false, error: reason, usage: tracker.usage, ...recorded() };
        }
      }),
    );
  }

  /** The eight trace metrics users can pick, sorted by name. */
  listTraceMetrics(): TraceMetricSummary[] {
    return this.registry.listed().map((d) => ({ name: d.name, description: d.description, category: d.category }));
  }

  isKnownTraceMetric(name: string): boolean {
    return this.registry.isListed(name);
  }

  /** The session metrics (pure aggregations of trace signals), sorted by name. */
  listSessionMetrics(): SessionMetricSummary[] {
    return SESSION_METRICS.map((d) => ({ name: d.name, description: d.description, category: d.category }));
  }

  /** The names a run of `kind` takes, then those of the other kind (for messages). */
  metricNames(kind: 'trace' | 'session'): [string[], string[]] {
    const trace = this.listTraceMetrics().map((m) => m.name);
    const session = this.listSessionMetrics().map((m) => m.name);
    return kind === 'trace' ? [trace, session] : [session, trace];
  }

  isKnownSessionMetric(name: string): boolean {
    return sessionMetric(name) !== undefined;
  }

  /**
   * 422-mapped DomainError when a metric needs embeddings and EVAL_EMBEDDING_MODEL cannot serve
   * them (Anthropic has none; or its provider is not configured), rather than a run of failures.
   */
  assertJudgeable(metricNames: string[]): void {
    const needsEmbeddings = metricNames.filter((n) => this.registry.get(n)?.usesEmbeddings);
    if (needsEmbeddings.length > 0) this.judge.assertEmbeddingModelUsable(needsEmbeddings);
  }

  /** What GET /evaluations/trace-runs/template answers: real stage prompts rendered from a sample trace. */
  buildTemplate(metricName: string, custom?: MetricDefinition): TraceRunTemplate {
    const def = custom ?? (this.registry.isListed(metricName) ? this.registry.get(metricName) : undefined);
    if (!def) throw new DomainError(ErrorCode.VALIDATION_FAILED, `Unknown metric: ${metricName}`);
    const budget = this.config.judge.render;
    const prompt_preview = def.previewPrompts({
      rendered: renderTrace(SAMPLE_TRACE, budget).text,
      taskContext: renderTaskContext(SAMPLE_TRACE, budget),
    });
    return {
      metric: {
        name: def.name,
        description: def.description,
        category: custom ? 'custom' : def.category,
        default_threshold: def.defaultThreshold,
        prompt_preview,
      },
      filters: {
        date_from: null,
        date_to: null,
        status: null,
        session_id: null,
        user_id: null,
        tags: null,
        name: null,
      },
      sampling_rate: 1.0,
      model: this.modelLabel(),
    };
  }

  /** The resolved `provider/model` string, or the raw string when it cannot be resolved. */
  /** The model that judges `metric` for a run asking for `model`: the embedding model for embedding metrics. */
  judgeModelOf(metric: string, model?: string): string {
    return this.registry.get(metric)?.usesEmbeddings
      ? this.modelLabel(this.config.judge.embeddingModel)
      : this.modelLabel(model);
  }

  private modelLabel(model?: string): string {
    try {
      return this.judge.resolveModel(model).id;
    } catch {
      return (model ?? '').trim() || this.config.judge.defaultModel;
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
