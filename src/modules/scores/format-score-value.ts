/**
 * An automated score's `value` as the original writes it: Python's `str(round(score, 4))`, so
 * 0.85 → "0.85", 1 → "1.0", 0 → "0.0", 0.123456 → "0.1235".
 */
export function formatScoreValue(score: number): string {
  const rounded = Math.round(score * 10_000) / 10_000;
  const text = String(rounded === 0 ? 0 : rounded);
  return Number.isInteger(rounded) ? `${text}.0` : text;
}
