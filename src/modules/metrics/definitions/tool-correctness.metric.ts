import { z } from 'zod';
import { block, builtInMetric, judgeStages, replyWith, scored, TRACE_INTRO } from '../metric-definition';
import { parsedCall, ToolCallSchema } from './tool-calls';

export const toolCorrectnessMetric = builtInMetric('tool_correctness', {
  description: 'Judges whether the agent picked suitable tools for the request.',
  previewPrompts: ({ rendered }) => [
    extract.preview(rendered),
    score.preview('<extracted_user_input>', '<extracted_tools_called>', '<extracted_available_tools>'),
  ],
  async evaluate(ctx) {
    const { user_input, tools_called, available_tools } = await extract.ask(ctx, ctx.rendered());
    const toolsCalled = tools_called.map(parsedCall);
    const verdict = await score.ask(ctx, user_input, JSON.stringify(toolsCalled), JSON.stringify(available_tools));
    return scored(verdict.score, verdict.reason, ctx.threshold, {
      user_input,
      tools_called: toolsCalled,
      available_tools,
    });
  },
});

const stage = judgeStages('tool_correctness');

export const ToolUsageSchema = z.strictObject({
  user_input: z.string(),
  tools_called: z.array(ToolCallSchema),
  available_tools: z.array(z.strictObject({ name: z.string(), description: z.string() })),
});

const extract = stage('extract', ToolUsageSchema, (rendered: string) => [
  TRACE_INTRO,
  [
    "user_input: the user's request, from the run's input.",
    'tools_called: one entry per TOOL span, in order, with its name and parameters (the arguments it received, written as a JSON object inside a string).',
    'available_tools: every distinct tool the agent could have used, as far as the trace shows (tools it called, tool definitions offered to its LLM calls), each with a name and a short description of what it does.',
  ].join('\n'),
  block('Trace', rendered),
  replyWith('user_input', 'tools_called', 'available_tools'),
]);

const score = stage.score((userInput: string, called: string, available: string) => [
  'Judge whether the agent chose the right tools for the request.',
  [
    'Credit tools that were needed and used. Penalise tools that were needed but not used, tools used without need, and tools used where a better-suited available tool existed.',
    'score: 0 to 1, where 1 means exactly the right tools were used. reason: one or two sentences.',
  ].join('\n'),
  block('User request', userInput),
  block('Tools called', called),
  block('Tools available', available),
  replyWith('score', 'reason'),
]);
