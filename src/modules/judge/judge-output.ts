import { APICallError } from '@ai-sdk/provider';
import type { asSchema as AsSchema, Schema } from 'ai';
import type { z } from 'zod';
import { reportedTokens } from './judge.types';
import { parseJudgeText } from './json-output';
import { InvalidJudgeOutputError } from './retry-policy';

/** Reading a judge's answer: token counts as reported, JSON parsed from text, the SDK schema wrappers. */

export interface Tokens {
  inputTokens: number | null;
  outputTokens: number | null;
}

/** An invalid answer keeps its usage and its text (the transcript shows what the judge said). */
export type InvalidOutputWithUsage = InvalidJudgeOutputError & { usage?: Tokens; text?: string };

/** The SDK's usage as we record it: a count the provider did not report (or NaN) is null. */
export function tokensOf(usage: { inputTokens?: number; outputTokens?: number } | undefined): Tokens {
  return { inputTokens: reportedTokens(usage?.inputTokens), outputTokens: reportedTokens(usage?.outputTokens) };
}

/** Tokens to book on the limiter: undefined (keep the estimate) when any part is unknown. */
export function sumKnown(a: number | null, b: number | null): number | undefined {
  return a === null || b === null ? undefined : a + b;
}

export function parseTextOrThrow<T>(text: string | undefined, schema: z.ZodType<T>, usage: Tokens): T {
  try {
    return parseJudgeText(text, schema);
  } catch (error) {
    if (error instanceof InvalidJudgeOutputError) Object.assign(error, { usage, text: text ?? null });
    throw error;
  }
}

/** A 400/422 answer to a structured-output request: the model or server cannot do response_format. */
export function rejectsStructuredOutput(error: unknown): boolean {
  if (APICallError.isInstance(error)) return error.statusCode === 400 || error.statusCode === 422;
  return (error as { name?: string })?.name === 'AI_UnsupportedFunctionalityError';
}

/**
 * The AI SDK's schema for a stage's zod schema, made once per schema: the SDK converts zod to JSON
 * Schema lazily and keeps the result on the wrapper, so reusing the wrapper skips that conversion
 * on every judge call (~2 % of a worker's CPU with an instant judge).
 */
const outputSchemas = new WeakMap<z.ZodType, Schema<unknown>>();
export function outputSchema<T>(schema: z.ZodType<T>, asSchema: typeof AsSchema): Schema<T> {
  let wrapped = outputSchemas.get(schema);
  if (!wrapped) outputSchemas.set(schema, (wrapped = asSchema(schema) as Schema<unknown>));
  return wrapped as Schema<T>;
}
