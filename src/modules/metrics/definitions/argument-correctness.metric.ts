import { z } from 'zod';
import {
  block,
  builtInMetric,
  judgeStages,
  nothingToJudge,
  replyWith,
  scored,
  TRACE_INTRO,
} from '../metric-definition';
import { parsedCall, ToolCallSchema } from './tool-calls';

export const argumentCorrectnessMetric = builtInMetric('argument_correctness', {
  description: 'Judges whether the arguments of each tool call were right for the request.',
  previewPrompts: ({ rendered }) => [
    extract.preview(rendered),
    judgeCalls.preview('<extracted_user_input>', '<extracted_tool_calls>'),
    explain.preview('<incorrect_call_reasons>', '<extracted_user_input>', '<score>'),
  ],
  async evaluate(ctx) {
    const { user_input, tool_calls } = await extract.ask(ctx, ctx.rendered());
    if (tool_calls.length === 0) {
      const reason = 'The trace has no tool calls, so there are no arguments to judge.';
      return nothingToJudge(reason, ctx.threshold, { user_input, verdicts: [] });
    }
    const calls = tool_calls.map((c, i) => ({ index: i + 1, ...parsedCall(c), reasoning: c.reasoning }));
    const { verdicts } = await judgeCalls.ask(ctx, user_input, JSON.stringify(calls));
    const yes = verdicts.filter((v) => v.verdict === 'yes').length;
    const score = verdicts.length === 0 ? 1 : Math.min(1, yes / verdicts.length);
    const problems = verdicts.filter((v) => v.verdict === 'no').map((v) => `- ${v.reason ?? 'no reason given'}`);
    const { reason } = await explain.ask(ctx, problems.join('\n') || '(none)', user_input, score.toFixed(2));
    return scored(score, reason, ctx.threshold, { user_input, verdicts });
  },
});

const stage = judgeStages('argument_correctness');

export const ToolCallsSchema = z.strictObject({
  user_input: z.string(),
  tool_calls: z.array(
    ToolCallSchema.extend({
      reasoning: z.string().nullable().describe('Why the agent made the call, when the trace says.'),
    }),
  ),
});

export const ArgumentVerdictsSchema = z.strictObject({
  verdicts: z.array(z.strictObject({ verdict: z.enum(['yes', 'no']), reason: z.string().nullable() })),
});

export const ArgumentReasonSchema = z.strictObject({ reason: z.string() });

const extract = stage('extract', ToolCallsSchema, (rendered: string) => [
  TRACE_INTRO,
  [
    "user_input: the user's request, from the run's input.",
    'tool_calls: every tool call in the run, in order: TOOL spans, and LLM inputs or outputs that carry tool_calls or function_call. For each: name, parameters (the arguments, written as a JSON object inside a string) and reasoning (why the agent made the call, or null when the trace does not say). An empty list when there are none.',
  ].join('\n'),
  block('Trace', rendered),
  replyWith('user_input', 'tool_calls'),
]);

const judgeCalls = stage('verdicts', ArgumentVerdictsSchema, (userInput: string, calls: string) => [
  'For each tool call below, in the same order, decide whether its arguments are right for the request.',
  [
    'verdict "yes" when the values are correct, every required parameter is present, and the call does what the user asked; otherwise "no".',
    'reason: for a "no", say what is wrong; null for a "yes".',
    'Return exactly one verdict per call.',
  ].join('\n'),
  block('User request', userInput),
  block('Tool calls', calls),
  replyWith('verdicts'),
]);

const explain = stage('reason', ArgumentReasonSchema, (problems: string, userInput: string, score: string) => [
  `The tool-call arguments of an agent run scored ${score} (the share of calls with correct arguments). In one or two sentences, explain that score to the user, drawing on the problems listed.`,
  block('Problems found', problems),
  block('User request', userInput),
  replyWith('reason'),
]);
