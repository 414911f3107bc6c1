import { ScoreDataType } from './entities/trace-score.entity';

/** Longest value a score can hold (the column is varchar(255)). */
export const MAX_SCORE_VALUE_LENGTH = 255;

/** A plain decimal number as people and SDKs write it: `1`, `0.85`, `.5`, `1e-1`. No hex, no `Infinity`. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export type ScoreValueCheck = { ok: true; value: string } | { ok: false; message: string };

/**
 * Checks a manual score's value against its data type and returns the value to store:
 * NUMERIC must be a number in [0, 1] (kept as sent, trimmed), BOOLEAN `true`/`false` in any case
 * (stored lower-case), CATEGORICAL any string up to 255 characters (kept as sent).
 */
export function checkScoreValue(dataType: ScoreDataType, raw: string): ScoreValueCheck {
  switch (dataType) {
    case ScoreDataType.NUMERIC: {
      const text = raw.trim();
      if (!DECIMAL.test(text)) return { ok: false, message: 'NUMERIC score must be a valid number' };
      const n = Number(text);
      if (!(n >= 0 && n <= 1)) return { ok: false, message: 'NUMERIC score must be in [0.0, 1.0]' };
      // `1e-400` is 0 to JavaScript and out of range to PostgreSQL's float8: refuse what would not round-trip.
      if (n === 0 && /[1-9]/.test(text.split(/[eE]/)[0])) {
        return { ok: false, message: 'NUMERIC score is too small to represent (underflow); send 0 instead' };
      }
      return { ok: true, value: text };
    }
    case ScoreDataType.BOOLEAN: {
      const text = raw.trim().toLowerCase();
      if (text !== 'true' && text !== 'false') return { ok: false, message: "BOOLEAN score must be 'true' or 'false'" };
      return { ok: true, value: text };
    }
    case ScoreDataType.CATEGORICAL:
      if (raw.length > MAX_SCORE_VALUE_LENGTH) {
        return { ok: false, message: `CATEGORICAL score must be at most ${MAX_SCORE_VALUE_LENGTH} characters` };
      }
      return { ok: true, value: raw };
  }
}
