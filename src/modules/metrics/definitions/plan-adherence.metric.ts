import { z } from 'zod';
import {
  ANCHORS,
  block,
  DEFAULT_THRESHOLD,
  replyWith,
  scored,
  stagePrompt,
  type MetricContext,
  type MetricDefinition,
  TRACE_INTRO,
} from '../metric-definition';
import { sharedTask } from './step-efficiency.metric';

const EXTRACT_PLAN = { metric: 'plan_adherence', stage: 'extract_plan' };
const SCORE = { metric: 'plan_adherence', stage: 'score' };

export const PlanSchema = z.strictObject({ plan: z.array(z.string()) });
export const AdherenceVerdictSchema = z.strictObject({ score: z.number().min(0).max(1), reason: z.string() });

export const NO_PLAN_REASON = 'The trace shows no plan, so there is nothing to judge.';

/** Plan extraction, shared with plan_quality. */
export const planPrompt = (rendered: string) =>
  stagePrompt(
    EXTRACT_PLAN,
    TRACE_INTRO,
    'plan: the steps the agent set out to follow, stated or clearly implied by its reasoning, thoughts or planning outputs, in order. Include only steps the trace gives evidence for; invent nothing. An empty list when the agent made no plan.',
    block('Trace', rendered),
    replyWith('plan'),
  );

/** The task and plan of the trace under evaluation, each extracted once per trace evaluation. */
export async function sharedTaskAndPlan(ctx: MetricContext): Promise<{ task: string; plan: string[] }> {
  const [task, plan] = await Promise.all([
    sharedTask(ctx),
    ctx.shared('plan', async () => (await ctx.ask(EXTRACT_PLAN, PlanSchema, planPrompt(ctx.rendered()))).plan),
  ]);
  return { task, plan: plan.map((s) => s.trim()).filter(Boolean) };
}

const scorePrompt = (task: string, plan: string, rendered: string) =>
  stagePrompt(
    SCORE,
    'Judge how faithfully the agent carried out its own plan: was each step executed, in order and completely, and did the agent take actions the plan did not call for?',
    ANCHORS,
    'score: 0 to 1. reason: one or two sentences naming skipped, reordered or extra steps.',
    block('Task', task),
    block('Plan', plan),
    block('Trace', rendered),
    replyWith('score', 'reason'),
  );

export const planAdherenceMetric: MetricDefinition = {
  name: 'plan_adherence',
  description: 'Judges how closely the agent carried out the plan it set itself.',
  category: 'trace',
  defaultThreshold: DEFAULT_THRESHOLD,
  previewPrompts: ({ rendered }) => [
    { stage: 'extract_plan', prompt: planPrompt(rendered) },
    { stage: 'score', prompt: scorePrompt('<extracted_task>', '<extracted_plan>', rendered) },
  ],
  async evaluate(ctx) {
    const { task, plan } = await sharedTaskAndPlan(ctx);
    if (plan.length === 0) {
      return {
        score: 1,
        reason: NO_PLAN_REASON,
        metadata: { task, plan: [], threshold: ctx.threshold, success: true },
      };
    }
    const verdict = await ctx.ask(
      SCORE,
      AdherenceVerdictSchema,
      scorePrompt(task, JSON.stringify(plan), ctx.rendered()),
    );
    return scored(verdict.score, verdict.reason, ctx.threshold, { task, plan });
  },
};
