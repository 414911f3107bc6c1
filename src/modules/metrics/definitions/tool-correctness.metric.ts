import { z } from 'zod';
import {
  block,
  DEFAULT_THRESHOLD,
  parseLooseJson,
  replyWith,
  scored,
  stagePrompt,
  type MetricDefinition,
  TRACE_INTRO,
} from '../metric-definition';

const EXTRACT = { metric: 'tool_correctness', stage: 'extract' };
const SCORE = { metric: 'tool_correctness', stage: 'score' };

// Tool parameters travel as JSON text so the schema stays valid for strict structured output
// (no free-form objects); they are parsed back for the metadata.
export const ToolUsageSchema = z.strictObject({
  user_input: z.string(),
  tools_called: z.array(
    z.strictObject({
      name: z.string(),
      parameters: z.string().describe('The arguments, as a JSON object in a string.'),
    }),
  ),
  available_tools: z.array(z.strictObject({ name: z.string(), description: z.string() })),
});

export const ToolVerdictSchema = z.strictObject({
  score: z.number().min(0).max(1),
  reason: z.string(),
});

const extractPrompt = (rendered: string) =>
  stagePrompt(
    EXTRACT,
    TRACE_INTRO,
    [
      "user_input: the user's request, from the run's input.",
      'tools_called: one entry per TOOL span, in order, with its name and parameters (the arguments it received, written as a JSON object inside a string).',
      'available_tools: every distinct tool the agent could have used, as far as the trace shows (tools it called, tool definitions offered to its LLM calls), each with a name and a short description of what it does.',
    ].join('\n'),
    block('Trace', rendered),
    replyWith('user_input', 'tools_called', 'available_tools'),
  );

const scorePrompt = (userInput: string, called: string, available: string) =>
  stagePrompt(
    SCORE,
    'Judge whether the agent chose the right tools for the request.',
    [
      'Credit tools that were needed and used. Penalise tools that were needed but not used, tools used without need, and tools used where a better-suited available tool existed.',
      'score: 0 to 1, where 1 means exactly the right tools were used. reason: one or two sentences.',
    ].join('\n'),
    block('User request', userInput),
    block('Tools called', called),
    block('Tools available', available),
    replyWith('score', 'reason'),
  );

export const toolCorrectnessMetric: MetricDefinition = {
  name: 'tool_correctness',
  description: 'Judges whether the agent picked suitable tools for the request.',
  category: 'trace',
  defaultThreshold: DEFAULT_THRESHOLD,
  previewPrompts: ({ rendered }) => [
    { stage: 'extract', prompt: extractPrompt(rendered) },
    {
      stage: 'score',
      prompt: scorePrompt('<extracted_user_input>', '<extracted_tools_called>', '<extracted_available_tools>'),
    },
  ],
  async evaluate(ctx) {
    const extracted = await ctx.ask(EXTRACT, ToolUsageSchema, extractPrompt(ctx.rendered()));
    const toolsCalled = extracted.tools_called.map((t) => ({ name: t.name, parameters: parseLooseJson(t.parameters) }));
    const verdict = await ctx.ask(
      SCORE,
      ToolVerdictSchema,
      scorePrompt(extracted.user_input, JSON.stringify(toolsCalled), JSON.stringify(extracted.available_tools)),
    );
    return scored(verdict.score, verdict.reason, ctx.threshold, {
      user_input: extracted.user_input,
      tools_called: toolsCalled,
      available_tools: extracted.available_tools,
    });
  },
};
