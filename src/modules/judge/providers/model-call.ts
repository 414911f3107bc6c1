import type { JSONSchema7, LanguageModelV4, SharedV4Warning } from '@ai-sdk/provider';

/** One judge request: a system prompt, one user message, and for structured output its JSON Schema. */
export interface ModelRequest {
  instructions: string;
  prompt: string;
  temperature?: number;
  /** Structured output (response_format); absent in text mode. */
  json?: { schema: JSONSchema7; name: string };
  abortSignal: AbortSignal;
}

/** What one call answered, in the shape generateText gives it. */
export interface ModelAnswer {
  /** The answer's text parts joined ('' when there were none), as generateText's `text`. */
  text: string;
  /** As the provider reported them; undefined when it did not. */
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** Settings the provider did not apply as asked (generateText's `warnings`). */
  warnings: SharedV4Warning[];
}

/**
 * One call of a provider's model through the AI SDK's language model specification
 * (`LanguageModelV4.doGenerate`, the interface generateText and the SDK's middleware call). The
 * provider package still builds the request, posts it, reads and validates the answer and raises
 * the SDK's errors (`APICallError` and the rest, classified in retry-policy.ts).
 *
 * Why not generateText: the judge makes one-message, tool-less, single-step calls with its own
 * retries (maxRetries 0) and its own JSON parsing, and generateText's agent loop around that one
 * `doGenerate` (prompt standardisation, step and event objects, callbacks, result objects, a second
 * parse of the output) cost ~0.4 ms of CPU per call, a quarter of a worker's CPU per evaluation with
 * an instant judge (docs/performance.md, issue 27 point 4, "Fourth step"). This passes the model
 * what generateText would for the same options (a system message, one user text part, `toolChoice`
 * auto, and `Output.object`'s response format).
 */
export async function generateOnce(model: LanguageModelV4, request: ModelRequest): Promise<ModelAnswer> {
  const result = await model.doGenerate({
    prompt: [
      { role: 'system', content: request.instructions },
      { role: 'user', content: [{ type: 'text', text: request.prompt }] },
    ],
    temperature: request.temperature,
    responseFormat: request.json && { type: 'json', schema: request.json.schema, name: request.json.name },
    toolChoice: { type: 'auto' },
    abortSignal: request.abortSignal,
  });
  let text = '';
  for (const part of result.content) if (part.type === 'text') text += part.text;
  return {
    text,
    inputTokens: result.usage.inputTokens.total,
    outputTokens: result.usage.outputTokens.total,
    warnings: result.warnings,
  };
}
