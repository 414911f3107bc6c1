import { z } from 'zod';
import { block, builtInMetric, judgeStages, replyWith, scored, TRACE_INTRO } from '../metric-definition';

export const taskCompletionMetric = builtInMetric('task_completion', {
  description: 'Judges whether the agent achieved what the user asked for.',
  previewPrompts: ({ rendered }) => [
    extract.preview(rendered),
    score.preview('<extracted_task>', '<extracted_outcome>'),
  ],
  async evaluate(ctx) {
    const { task, outcome } = await extract.ask(ctx, ctx.rendered());
    const { verdict, reason } = await score.ask(ctx, task, outcome);
    return scored(verdict, reason, ctx.threshold, { task, outcome });
  },
});

const stage = judgeStages('task_completion');

export const TaskOutcomeSchema = z.strictObject({
  task: z.string().describe("The user's objective, from the run's input."),
  outcome: z.string().describe('What the system factually did and produced, without judgement words.'),
});

export const CompletionVerdictSchema = z.strictObject({
  verdict: z.number().min(0).max(1).describe('How fully the outcome achieves the task, 0 to 1.'),
  reason: z.string().nullable(),
});

const extract = stage('extract', TaskOutcomeSchema, (rendered: string) => [
  TRACE_INTRO,
  [
    `task: in one or two sentences, what the user wanted, taken from the run's input.`,
    'outcome: a plain, factual account of what the system did and what it returned. Describe actions and results only, with no judgement words such as "successfully", "well" or "efficiently".',
  ].join('\n'),
  block('Trace', rendered),
  replyWith('task', 'outcome'),
]);

const score = stage('score', CompletionVerdictSchema, (task: string, outcome: string) => [
  'Decide how completely the outcome achieves the task.',
  [
    'verdict: a number from 0 to 1. 1 means the task is fully achieved, 0 means none of it is; give partial credit for partial achievement.',
    'reason: one or two sentences naming what was achieved and what is missing.',
    'Example: {"verdict": 0.7, "reason": "The refund was issued, but the question about delivery dates went unanswered."}',
  ].join('\n'),
  block('Task', task),
  block('Outcome', outcome),
  replyWith('verdict', 'reason'),
]);
