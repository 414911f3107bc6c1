import { z } from 'zod';
import {
  ANCHORS,
  block,
  builtInMetric,
  judgeStages,
  type MetricContext,
  type MetricResult,
  nothingToJudge,
  replyWith,
  scored,
  TRACE_INTRO,
} from '../metric-definition';
import { sharedTask } from './step-efficiency.metric';

export const NO_PLAN_REASON = 'The trace shows no plan, so there is nothing to judge.';

export const planAdherenceMetric = builtInMetric('plan_adherence', {
  description: 'Judges how closely the agent carried out the plan it set itself.',
  previewPrompts: ({ rendered }) => [
    extractPlan.preview(rendered),
    score.preview('<extracted_task>', '<extracted_plan>', rendered),
  ],
  evaluate: (ctx) => scorePlan(ctx, (task, plan) => score.ask(ctx, task, plan, ctx.rendered())),
});

/**
 * The evaluation of plan_adherence and plan_quality: full marks without a plan; otherwise `judge`
 * scores the task and the plan (as JSON).
 */
export async function scorePlan(
  ctx: MetricContext,
  judge: (task: string, plan: string) => Promise<{ score: number; reason: string }>,
): Promise<MetricResult> {
  const { task, plan } = await sharedTaskAndPlan(ctx);
  if (plan.length === 0) return nothingToJudge(NO_PLAN_REASON, ctx.threshold, { task, plan: [] });
  const verdict = await judge(task, JSON.stringify(plan));
  return scored(verdict.score, verdict.reason, ctx.threshold, { task, plan });
}

/** The task and plan of the trace under evaluation, each extracted once per trace evaluation. */
export async function sharedTaskAndPlan(ctx: MetricContext): Promise<{ task: string; plan: string[] }> {
  const [task, plan] = await Promise.all([
    sharedTask(ctx),
    ctx.shared('plan', async () => (await extractPlan.ask(ctx, ctx.rendered())).plan),
  ]);
  return { task, plan: plan.map((s) => s.trim()).filter(Boolean) };
}

const stage = judgeStages('plan_adherence');

export const PlanSchema = z.strictObject({ plan: z.array(z.string()) });

/** Plan extraction, shared with plan_quality. */
const extractPlan = stage('extract_plan', PlanSchema, (rendered: string) => [
  TRACE_INTRO,
  'plan: the steps the agent set out to follow, stated or clearly implied by its reasoning, thoughts or planning outputs, in order. Include only steps the trace gives evidence for; invent nothing. An empty list when the agent made no plan.',
  block('Trace', rendered),
  replyWith('plan'),
]);

const score = stage.score((task: string, plan: string, rendered: string) => [
  'Judge how faithfully the agent carried out its own plan: was each step executed, in order and completely, and did the agent take actions the plan did not call for?',
  ANCHORS,
  'score: 0 to 1. reason: one or two sentences naming skipped, reordered or extra steps.',
  block('Task', task),
  block('Plan', plan),
  block('Trace', rendered),
  replyWith('score', 'reason'),
]);
