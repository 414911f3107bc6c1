import type { MetricDefinition } from '../../metrics/metric-definition';
import type { RenderBudget } from '../../metrics/render/render-trace';
import { SAMPLE_TRACE } from '../../metrics/sample-trace';
import { answerSchema, customPrompt, customStage, judgementOf } from '../custom-judge';
import type { CheckedDefinition } from '../definition-rules';
import { renderTemplate } from '../template/render-template';

/** A stored custom metric version, as runs use it. */
export interface PinnedVersion {
  name: string;
  description: string;
  version: number;
  definition: CheckedDefinition;
}

const SCORE_OF_SUCCESS = (success: boolean) => (success ? 1 : 0);

/**
 * A pinned custom metric version as a MetricDefinition, so runs and monitors judge it through the
 * same evaluation as the built-in metrics: one `ask` per trace (the run's budget, the
 * organization's quota, cancel, the fault points and the transcript all apply), its own model when
 * it names one. The score's value is the answer as stored (`"true"`, a label, or the NUMERIC
 * score); `score` is the NUMERIC score, or 1/0 for success, for the run's own bookkeeping.
 */
export function customMetricDefinition(p: PinnedVersion, budget: RenderBudget): MetricDefinition {
  const d = p.definition;
  const threshold = d.threshold ?? 0.5;
  return {
    name: p.name,
    description: p.description,
    category: 'trace',
    defaultThreshold: threshold,
    version: String(p.version),
    sessionTurns: sessionTurnsOf(d),
    dataType: d.outputType,
    // The run template's preview: the rubric filled from the same sample trace the built-in metrics show.
    previewPrompts: () => [
      {
        stage: 'judge',
        prompt: customPrompt(p.name, d, renderTemplate(d.parts, { trace: SAMPLE_TRACE, history: [] }, budget).text),
      },
    ],
    async evaluate(ctx) {
      // The run loaded the session's earlier turns when a pinned template asks for them (see sessionTurns).
      const rendered = renderTemplate(d.parts, { trace: ctx.trace, history: ctx.sessionHistory }, budget);
      const prompt = customPrompt(p.name, d, rendered.text);
      const answer = await ctx.ask(customStage(p.name), answerSchema(d), prompt, d.model ?? undefined);
      const judged = judgementOf(d, answer);
      const score = d.outputType === 'NUMERIC' ? Number(judged.value) : SCORE_OF_SUCCESS(judged.success);
      return {
        score,
        value: judged.value,
        reason: judged.reason,
        metadata: {
          success: judged.success,
          ...(d.outputType === 'NUMERIC' ? { threshold } : {}),
          ...(d.outputType === 'CATEGORICAL' ? { success_labels: d.successLabels } : {}),
          ...(rendered.charsCut ? { chars_cut: rendered.charsCut } : {}),
        },
      };
    },
  };
}

/** How many of the session's earlier turns a template shows: the most any placeholder asks (0: none). */
export function sessionTurnsOf(d: CheckedDefinition): number {
  return Math.max(0, ...d.parts.map((p) => (typeof p !== 'string' && p.kind === 'session_history' ? p.turns : 0)));
}
