import type { Tokens } from './judge-output';
import { JUDGE_SYSTEM_PROMPT } from './judge-prompt';
import type { StageRef, TranscriptSink } from './judge.types';

/** What one attempt sent and got back, filled in while it runs. */
export interface SeenAttempt {
  mode: 'structured' | 'text';
  prompt: string;
  answer: string | null;
}

/** Told after every HTTP attempt: its number, its error (null when it answered), its tokens and latency. */
export type AttemptListener = (n: number, error: string | null, tokens: Tokens, latencyMs: number) => void;

/** An attempt's error as a transcript shows it: the message, with the HTTP status when there was one. */
export function attemptError(error: unknown): string {
  const status = (error as { statusCode?: number })?.statusCode;
  const message = error instanceof Error ? error.message : String(error);
  return (status ? `HTTP ${status}: ${message}` : message).slice(0, 2000);
}

/** Passes each attempt of one request to the sink, with what it sent and the answer it got. */
export function transcriptListener(
  sink: TranscriptSink,
  stage: StageRef,
  model: string,
  current: () => SeenAttempt,
): AttemptListener {
  return (n, error, tokens, latency) => {
    const seen = current();
    sink.add({
      stage: `${stage.metric}.${stage.stage}`,
      model,
      attempt: n,
      mode: seen.mode,
      system: JUDGE_SYSTEM_PROMPT,
      prompt: seen.prompt,
      answer: seen.answer,
      error,
      input_tokens: tokens.inputTokens,
      output_tokens: tokens.outputTokens,
      latency_ms: latency,
    });
  };
}
