import type { z } from 'zod';
import { InvalidJudgeOutputError } from './retry-policy';

/** Removes a surrounding Markdown code fence (```json ... ```), if any. */
export function stripCodeFences(text: string): string {
  const trimmed = text.trim();
  const fenced = /^```[\w-]*\s*\n?([\s\S]*?)\n?```\s*$/.exec(trimmed);
  return (fenced ? fenced[1] : trimmed).trim();
}

/** Parses a judge answer given as text: fences stripped, JSON parsed, validated with the stage's schema. */
export function parseJudgeText<T>(text: string | undefined, schema: z.ZodType<T>): T {
  if (text === undefined || text.trim() === '') throw new InvalidJudgeOutputError('empty answer', text);
  let body = stripCodeFences(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Some models add a sentence around the object: take the outermost {...}.
    const start = body.indexOf('{');
    const end = body.lastIndexOf('}');
    if (start < 0 || end <= start) throw new InvalidJudgeOutputError('answer is not JSON', text);
    body = body.slice(start, end + 1);
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new InvalidJudgeOutputError('answer is not JSON', text);
    }
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new InvalidJudgeOutputError(`answer does not match the schema (${issues})`, text);
  }
  return result.data;
}
