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
} from '../metric-definition';

const EXTRACT_TASK = { metric: 'step_efficiency', stage: 'extract_task' };
const SCORE = { metric: 'step_efficiency', stage: 'score' };

export const TaskSchema = z.strictObject({ task: z.string() });
export const EfficiencyVerdictSchema = z.strictObject({ score: z.number().min(0).max(1), reason: z.string() });

/** Task extraction, shared with plan_adherence and plan_quality: it reads only the user's request. */
export const taskPrompt = (taskContext: string) =>
  stagePrompt(
    EXTRACT_TASK,
    "State the user's goal for this agent run in one sentence, from the user's point of view (what they want to get), not as a list of the agent's actions.",
    block('Request', taskContext),
    replyWith('task'),
  );

/** The task of the trace under evaluation, extracted once for every metric that needs it. */
export async function sharedTask(ctx: MetricContext): Promise<string> {
  return ctx.shared('task', async () => (await ctx.ask(EXTRACT_TASK, TaskSchema, taskPrompt(ctx.taskContext()))).task);
}

const scorePrompt = (task: string, rendered: string) =>
  stagePrompt(
    SCORE,
    'Judge how economically the agent reached the task: look for actions that were not needed, repeated or redundant steps, detours, and resources used beyond what the task required. The fewest actions that do the job earn full marks.',
    ANCHORS,
    'score: 0 to 1. reason: one or two sentences naming any wasted steps.',
    block('Task', task),
    block('Trace', rendered),
    replyWith('score', 'reason'),
  );

export const stepEfficiencyMetric: MetricDefinition = {
  name: 'step_efficiency',
  description: 'Judges whether the agent reached its goal without wasted or repeated steps.',
  category: 'trace',
  defaultThreshold: DEFAULT_THRESHOLD,
  previewPrompts: ({ rendered, taskContext }) => [
    { stage: 'extract_task', prompt: taskPrompt(taskContext) },
    { stage: 'score', prompt: scorePrompt('<extracted_task>', rendered) },
  ],
  async evaluate(ctx) {
    const task = await sharedTask(ctx);
    const verdict = await ctx.ask(SCORE, EfficiencyVerdictSchema, scorePrompt(task, ctx.rendered()));
    return scored(verdict.score, verdict.reason, ctx.threshold, { task });
  },
};
