import { z } from 'zod';
import {
  ANCHORS,
  block,
  DEFAULT_THRESHOLD,
  replyWith,
  scored,
  stagePrompt,
  type MetricDefinition,
} from '../metric-definition';
import { NO_PLAN_REASON, sharedTaskAndPlan } from './plan-adherence.metric';

const SCORE = { metric: 'plan_quality', stage: 'score' };

export const PlanQualityVerdictSchema = z.strictObject({ score: z.number().min(0).max(1), reason: z.string() });

// The plan is judged on its own merits: no trace in this prompt.
const scorePrompt = (task: string, plan: string) =>
  stagePrompt(
    SCORE,
    'Judge the plan itself, not how it was carried out: does it cover everything the task needs, do its steps follow logically, is it free of needless steps, is it detailed enough to act on, and does it aim at the task?',
    ANCHORS,
    'score: 0 to 1. reason: one or two sentences naming the main strengths or gaps.',
    block('Task', task),
    block('Plan', plan),
    replyWith('score', 'reason'),
  );

export const planQualityMetric: MetricDefinition = {
  name: 'plan_quality',
  description: "Judges how complete, sound and economical the agent's plan is.",
  category: 'trace',
  defaultThreshold: DEFAULT_THRESHOLD,
  previewPrompts: () => [{ stage: 'score', prompt: scorePrompt('<extracted_task>', '<extracted_plan>') }],
  async evaluate(ctx) {
    const { task, plan } = await sharedTaskAndPlan(ctx);
    if (plan.length === 0) {
      return {
        score: 1,
        reason: NO_PLAN_REASON,
        metadata: { task, plan: [], threshold: ctx.threshold, success: true },
      };
    }
    const verdict = await ctx.ask(SCORE, PlanQualityVerdictSchema, scorePrompt(task, JSON.stringify(plan)));
    return scored(verdict.score, verdict.reason, ctx.threshold, { task, plan });
  },
};
