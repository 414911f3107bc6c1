import { z } from 'zod';
import { block, builtInMetric, judgeStages, replyWith, scored } from '../metric-definition';

export const confidenceMetric = builtInMetric('confidence', {
  description: 'Judges whether the agent acted decisively and consistently, without hedging or flailing.',
  previewPrompts: ({ rendered }) => [judge.preview(rendered)],
  async evaluate(ctx) {
    const { confidence, reason } = await judge.ask(ctx, ctx.rendered());
    return scored(confidence, reason, ctx.threshold);
  },
});

const stage = judgeStages('confidence');

export const ConfidenceSchema = z.strictObject({
  confidence: z.number().min(0).max(1),
  reason: z.string().nullable(),
});

const judge = stage('evaluate', ConfidenceSchema, (rendered: string) => [
  'Rate how decisively and appropriately this agent acted, and whether it kept a consistent strategy.',
  'Signs of low confidence: hedging or noncommittal answers, contradicting itself, retrying without need, repeating a tool call with the same arguments, dropping a strategy halfway, vague or unfinished output.',
  'confidence: 0 to 1, where 1 means decisive, fitting and consistent throughout. reason: one or two sentences.',
  block('Trace', rendered),
  replyWith('confidence', 'reason'),
]);
