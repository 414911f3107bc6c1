import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
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

const gzipAsync = promisify(gzip);

/**
 * Up to this size a text is compressed on the event loop (a judge prompt is typically a few KB:
 * 30-50 µs); a larger one on libuv's thread pool, so a huge prompt never blocks the loop. The pool's
 * hand-off costs far more than the compression of a small text: measured 180-230 µs of CPU per
 * 2-8 KB text against 30-50 µs in place (docs/performance.md, issue 27 point 4).
 */
export const GZIP_IN_PLACE_MAX_BYTES = 32 * 1024;

/** The stored form of a text: gzip. */
export async function compress(hash: string, text: string): Promise<Blob> {
  const raw = Buffer.from(text, 'utf8');
  const body = raw.length <= GZIP_IN_PLACE_MAX_BYTES ? gzipSync(raw) : await gzipAsync(raw);
  return { hash, body, chars: text.length };
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
export function encodeTranscript(attempts: JudgeAttempt[], texts: Map<string, string>): EncodedTranscript {
  const hashes = new Set<string>();
  const keep = (text: string): string => {
    const hash = textHash(text);
    if (!texts.has(hash)) texts.set(hash, text);
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
