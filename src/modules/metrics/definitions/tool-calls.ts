import { z } from 'zod';
import { parseLooseJson } from '../metric-definition';

/**
 * One tool call as the judge extracts it, for tool_correctness and argument_correctness. The
 * parameters travel as JSON text so the schema stays valid for strict structured output (no
 * free-form objects); `parsedCall` parses them back for the metadata.
 */
export const ToolCallSchema = z.strictObject({
  name: z.string(),
  parameters: z.string().describe('The arguments, as a JSON object in a string.'),
});

export function parsedCall(call: z.infer<typeof ToolCallSchema>) {
  return { name: call.name, parameters: parseLooseJson(call.parameters) };
}
