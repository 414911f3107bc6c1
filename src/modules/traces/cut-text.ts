import { createHash } from 'node:crypto';

/**
 * A long string of a span value, loaded cut (`judge_cut` in SQL, migration JudgeCutFunctions): its
 * first characters, the length of its JSON text and its digest. The judge's rendering shows at most
 * JUDGE_RENDER_FIELD_CHARS characters of a value, so the head is all it reads of the text; the
 * length gives the same budget shares and "…[+N chars]" counts as the whole string, the digest the
 * same "[same text as …]" back-references (`textKey`).
 */
export class CutString {
  constructor(
    /** The string's first characters (at least `judgeCutChars(…)` code points). */
    readonly head: string,
    /** `JSON.stringify(whole).length`. */
    readonly jsonLength: number,
    /** md5 of the whole string's UTF-8 bytes, hex. */
    readonly md5: string,
  ) {}
}

/** Strings longer than this (UTF-16 units) are identified by digest, cut or whole (`textKey`). */
export const DIGEST_KEY_CHARS = 4096;

/**
 * How many characters of a span's string the worker loads: at least the longest value the judge
 * is shown (`fieldChars`), and never below DIGEST_KEY_CHARS, so a cut string is always one that
 * `textKey` identifies by digest.
 */
export function judgeCutChars(fieldChars: number): number {
  return Math.max(DIGEST_KEY_CHARS, fieldChars);
}

export function md5Hex(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

/**
 * The identity of a string for back-references: the string itself, or for a long one (and every
 * cut one) its digest, so a string matches its cut copy and the other way round.
 */
export function textKey(value: string | CutString): string {
  if (value instanceof CutString) return `\u0000${value.md5}`;
  return value.length > DIGEST_KEY_CHARS ? `\u0000${md5Hex(value)}` : value;
}

const CUT = '\u0001cut';
const WRAPPED = '\u0001obj';

const keptWhole = (o: Record<string, unknown>) => o.type === 'tool_use' || o.type === 'tool-call';

/**
 * A value as `judge_cut` returned it, with its markers turned into CutStrings and wrapped objects
 * unwrapped. What SQL kept whole (values under `tool_calls` / `function_call`, objects typed
 * `tool_use` / `tool-call`) is returned as it is, the same rule as the SQL's.
 */
export function reviveCut(value: unknown, wrapped = false): unknown {
  if (Array.isArray(value)) return value.map((v) => reviveCut(v));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (!wrapped) {
    if (keptWhole(o)) return o;
    if (Object.hasOwn(o, CUT)) return new CutString(o[CUT] as string, Number(o.n), o.h as string);
    if (Object.hasOwn(o, WRAPPED)) return reviveCut(o[WRAPPED], true);
  }
  // fromEntries: a "__proto__" key stays an own property, as JSON.parse made it.
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, k === 'tool_calls' || k === 'function_call' ? v : reviveCut(v)]),
  );
}
