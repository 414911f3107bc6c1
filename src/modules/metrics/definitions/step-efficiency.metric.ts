import { z } from 'zod';
import {
  ANCHORS,
  block,
  builtInMetric,
  judgeStages,
  type MetricContext,
  replyWith,
  scored,
} from '../metric-definition';

export const stepEfficiencyMetric = builtInMetric('step_efficiency', {
  description: 'Judges whether the agent reached its goal without wasted or repeated steps.',
  previewPrompts: ({ rendered, taskContext }) => [
    extractTask.preview(taskContext),
    score.preview('<extracted_task>', rendered),
  ],
  async evaluate(ctx) {
    const task = await sharedTask(ctx);
    const verdict = await score.ask(ctx, task, ctx.rendered());
    return scored(verdict.score, verdict.reason, ctx.threshold, { task });
  },
});

/** The task of the trace under evaluation, extracted once for every metric that needs it. */
export async function sharedTask(ctx: MetricContext): Promise<string> {
  return ctx.shared('task', async () => (await extractTask.ask(ctx, ctx.taskContext())).task);
}

const stage = judgeStages('step_efficiency');

export const TaskSchema = z.strictObject({ task: z.string() });

/** Task extraction, shared with plan_adherence and plan_quality: it reads only the user's request. */
const extractTask = stage('extract_task', TaskSchema, (taskContext: string) => [
  "State the user's goal for this agent run in one sentence, from the user's point of view (what they want to get), not as a list of the agent's actions.",
  block('Request', taskContext),
  replyWith('task'),
]);

const score = stage.score((task: string, rendered: string) => [
  'Judge how economically the agent reached the task: look for actions that were not needed, repeated or redundant steps, detours, and resources used beyond what the task required. The fewest actions that do the job earn full marks.',
  ANCHORS,
  'score: 0 to 1. reason: one or two sentences naming any wasted steps.',
  block('Task', task),
  block('Trace', rendered),
  replyWith('score', 'reason'),
]);
