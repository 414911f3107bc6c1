import { ANCHORS, block, builtInMetric, judgeStages, replyWith } from '../metric-definition';
import { scorePlan } from './plan-adherence.metric';

// The task and the plan come from the stages of step_efficiency and plan_adherence.
export const planQualityMetric = builtInMetric('plan_quality', {
  description: "Judges how complete, sound and economical the agent's plan is.",
  previewPrompts: () => [score.preview('<extracted_task>', '<extracted_plan>')],
  evaluate: (ctx) => scorePlan(ctx, (task, plan) => score.ask(ctx, task, plan)),
});

const stage = judgeStages('plan_quality');

// The plan is judged on its own merits: no trace in this prompt.
const score = stage.score((task: string, plan: string) => [
  'Judge the plan itself, not how it was carried out: does it cover everything the task needs, do its steps follow logically, is it free of needless steps, is it detailed enough to act on, and does it aim at the task?',
  ANCHORS,
  'score: 0 to 1. reason: one or two sentences naming the main strengths or gaps.',
  block('Task', task),
  block('Plan', plan),
  replyWith('score', 'reason'),
]);
