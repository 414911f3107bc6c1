import { Injectable, Optional } from '@nestjs/common';
import type { ProjectContext } from '../auth/types/project-context';
import { JudgeService } from '../judge/judge.service';
import { UsageTracker } from '../metrics/evaluation-context';
import type { TraceView } from '../metrics/types/trace-view';
import type { TraceResponseDto } from '../traces/dto/trace-response.dto';
import { OrgQuotaService } from '../quotas/org-quotas.service';
import { TracesService } from '../traces/traces.service';
import { customPrompt, judgeCustom } from './custom-judge';
import { CustomMetricsService, definitionOf } from './custom-metrics.service';
import { checkDefinition, type CheckedDefinition } from './definition-rules';
import { PreviewDraftRequest, PreviewResponse, PreviewSavedRequest } from './dto/preview.dto';
import { sessionTurnsOf } from './runs/custom-metric-definition';
import { renderTemplate, type TemplateInput } from './template/render-template';

/** The stage name a draft (unsaved) rubric is judged under. */
export const DRAFT_NAME = 'custom_draft';

/** Renders a rubric for one trace exactly as the judge would see it, and optionally judges it once. */
@Injectable()
export class CustomMetricPreviewService {
  constructor(
    private readonly metrics: CustomMetricsService,
    private readonly traces: TracesService,
    private readonly judge: JudgeService,
    @Optional() private readonly quotas?: OrgQuotaService,
  ) {}

  async saved(ctx: ProjectContext, name: string, req: PreviewSavedRequest): Promise<PreviewResponse> {
    const { version } = await this.metrics.get(ctx, name, req.version);
    // A stored version passed these checks when it was saved; parsing again only rebuilds the template parts.
    const definition = checkDefinition(definitionOf(version)).value!;
    return this.preview(ctx, { name, version: version.version }, definition, req.trace_id, req.judge ?? false);
  }

  draft(ctx: ProjectContext, req: PreviewDraftRequest): Promise<PreviewResponse> {
    const definition = this.metrics.check(req.definition);
    return this.preview(ctx, { name: null, version: null }, definition, req.trace_id, req.judge ?? false);
  }

  private async preview(
    ctx: ProjectContext,
    id: { name: string | null; version: number | null },
    d: CheckedDefinition,
    traceId: string,
    judge: boolean,
  ): Promise<PreviewResponse> {
    const trace = toTraceView(await this.traces.getTrace(ctx.projectId, traceId));
    const input: TemplateInput = { trace, history: await this.history(ctx, trace, d) };
    const rendered = renderTemplate(d.parts, input, this.metrics.renderBudget());
    const stageName = id.name ?? DRAFT_NAME;
    const prompt = customPrompt(stageName, d, rendered.text);
    let judgement: PreviewResponse['judgement'] = null;
    if (judge) {
      const tracker = new UsageTracker(d.model ?? '');
      // Counted like a run's judge call: the organization's daily quota is reserved first (a 429
      // naming the quota when it is spent, and no call), the tokens added after.
      const quota = this.quotas?.judgeQuotaOf(ctx.projectId);
      await quota?.reserve();
      const answer = await judgeCustom(this.judge, stageName, d, prompt, {
        model: d.model ?? undefined,
        usage: tracker,
      }).finally(() => {
        const { input_tokens, output_tokens } = tracker.usage;
        void quota?.record((input_tokens ?? 0) + (output_tokens ?? 0)).catch(() => undefined);
      });
      const { model, calls, input_tokens, output_tokens } = tracker.usage;
      judgement = {
        data_type: answer.dataType,
        value: answer.value,
        success: answer.success,
        reason: answer.reason,
        model,
        calls,
        input_tokens,
        output_tokens,
      };
    }
    return { ...id, trace_id: trace.trace_id, prompt, chars_cut: rendered.charsCut, judgement };
  }

  /** The session's earlier turns the template asks for (the most any placeholder asks), oldest first. */
  private async history(
    ctx: ProjectContext,
    trace: TraceView,
    d: CheckedDefinition,
  ): Promise<TemplateInput['history']> {
    const turns = sessionTurnsOf(d);
    if (!turns || !trace.session_id) return [];
    const earlier = await this.traces.listTraces(ctx.projectId, {
      session_id: trace.session_id,
      started_before: trace.started_at,
      sort_by: 'started_at',
      sort_order: 'desc',
      limit: turns,
      offset: 0,
    });
    const ids = earlier.items.map((t) => t.trace_id).filter((id) => id !== trace.trace_id);
    const full = await this.traces.findTracesWithSpansForResponse(
      ctx.projectId,
      ids,
      'Ask for fewer session_history turns.',
    );
    return full.map(toTraceView);
  }
}

/** The judge's view of a trace read through the traces API. */
export function toTraceView(t: TraceResponseDto): TraceView {
  return {
    trace_id: t.trace_id,
    name: t.name,
    status: t.status,
    input: t.input,
    output: t.output,
    metadata: (t.metadata ?? {}) as Record<string, unknown>,
    session_id: t.session_id ?? null,
    user_id: t.user_id ?? null,
    tags: t.tags ?? [],
    environment: t.environment ?? null,
    started_at: t.started_at,
    ended_at: t.ended_at ?? null,
    spans: (t.spans ?? []).map((s) => ({
      span_id: s.span_id,
      parent_span_id: s.parent_span_id ?? null,
      name: s.name,
      kind: s.kind,
      status: s.status,
      input: s.input,
      output: s.output,
      model: s.model ?? null,
      error: s.error ?? null,
      metadata: (s.metadata ?? {}) as Record<string, unknown>,
      started_at: s.started_at,
      ended_at: s.ended_at ?? null,
      token_usage: (s.token_usage ?? null) as Record<string, unknown> | null,
    })),
  };
}
