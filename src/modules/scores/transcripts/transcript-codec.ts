import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { JudgeAttempt } from '../../judge/judge.types';

/** An attempt as stored: its texts replaced by the hashes of their blobs. */
export interface StoredAttempt extends Omit<JudgeAttempt, 'system' | 'prompt' | 'answer'> {
  system: string;
  prompt: string;
  answer: string | null;
}

export interface Blob {
  hash: string;
  body: Buffer;
  chars: number;
}

export interface EncodedTranscript {
  attempts: StoredAttempt[];
  hashes: string[];
}

export const textHash = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Splits attempts into their small parts and their texts, each text once: a retry resends the same
 * prompt, every call sends the same system prompt, and re-runs of a rubric send the same prompts
 * again, so most texts are stored once per project however often they were sent.
 */
export function encodeTranscript(attempts: JudgeAttempt[], blobs: Map<string, Blob>): EncodedTranscript {
  const hashes = new Set<string>();
  const keep = (text: string): string => {
    const hash = textHash(text);
    if (!blobs.has(hash)) blobs.set(hash, { hash, body: gzipSync(Buffer.from(text, 'utf8')), chars: text.length });
    hashes.add(hash);
    return hash;
  };
  const stored = attempts.map((a) => ({
    ...a,
    system: keep(a.system),
    prompt: keep(a.prompt),
    answer: a.answer === null ? null : keep(a.answer),
  }));
  return { attempts: stored, hashes: [...hashes] };
}

/** The attempts with their texts back; a text whose blob is missing reads as null. */
export function decodeTranscript(attempts: StoredAttempt[], blobs: Map<string, Buffer>): JudgeAttempt[] {
  const text = (hash: string | null) => {
    const body = hash === null ? undefined : blobs.get(hash);
    return body ? gunzipSync(body).toString('utf8') : null;
  };
  return attempts.map((a) => ({
    ...a,
    system: text(a.system) ?? '',
    prompt: text(a.prompt) ?? '',
    answer: text(a.answer),
  }));
}
