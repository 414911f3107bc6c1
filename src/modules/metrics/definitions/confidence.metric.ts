import { z } from 'zod';
import { block, DEFAULT_THRESHOLD, replyWith, scored, stagePrompt, type MetricDefinition } from '../metric-definition';

const EVALUATE = { metric: 'confidence', stage: 'evaluate' };

export const ConfidenceSchema = z.strictObject({
  confidence: z.number().min(0).max(1),
  reason: z.string().nullable(),
});

const evaluatePrompt = (rendered: string) =>
  stagePrompt(
    EVALUATE,
    'Rate how decisively and appropriately this agent acted, and whether it kept a consistent strategy.',
    'Signs of low confidence: hedging or noncommittal answers, contradicting itself, retrying without need, repeating a tool call with the same arguments, dropping a strategy halfway, vague or unfinished output.',
    'confidence: 0 to 1, where 1 means decisive, fitting and consistent throughout. reason: one or two sentences.',
    block('Trace', rendered),
    replyWith('confidence', 'reason'),
  );

export const confidenceMetric: MetricDefinition = {
  name: 'confidence',
  description: 'Judges whether the agent acted decisively and consistently, without hedging or flailing.',
  category: 'trace',
  defaultThreshold: DEFAULT_THRESHOLD,
  previewPrompts: ({ rendered }) => [{ stage: 'evaluate', prompt: evaluatePrompt(rendered) }],
  async evaluate(ctx) {
    const { confidence, reason } = await ctx.ask(EVALUATE, ConfidenceSchema, evaluatePrompt(ctx.rendered()));
    return scored(confidence, reason, ctx.threshold);
  },
};
