/** Values published in examples, defaults and docs: never acceptable as a production secret. */
const KNOWN_SECRETS = new Set([
  'change-me',
  'changeme',
  'change-me-to-a-long-random-secret',
  'secret',
  'password',
  'admin',
  'test-secret-test-secret-test-secret',
  // Published in bench/ (the benches' JWT secrets): anyone can read them in the repository.
  'analytics-bench-secret-analytics-bench',
  'large-reads-bench-secret-large-reads-bench',
  'session-scores-bench-secret-session-scores',
  'sessions-bench-secret-sessions-bench',
]);
/** Fewer distinct characters than this is not random (36 × 'a' has one; 32 random hex bytes have ~16). */
const MIN_SECRET_DISTINCT_CHARS = 10;
export const MIN_SECRET_BYTES = 32;

/**
 * In production a guessable secret is a way in (a token signed with `change-me` is a valid login),
 * so the process refuses to start with a known, example or short JWT_SECRET or ADMIN_TOKEN.
 * Unset stays allowed: it switches Bearer auth or the operator pages off.
 */
export function weakSecrets(e: { NODE_ENV: string; JWT_SECRET?: string; ADMIN_TOKEN?: string }): string[] {
  if (e.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  for (const name of ['JWT_SECRET', 'ADMIN_TOKEN'] as const) {
    const value = e[name];
    if (value === undefined) continue;
    const known = KNOWN_SECRETS.has(value.toLowerCase()) || /change-?me|example|bench-secret|test-secret/i.test(value);
    const why = known
      ? 'is a known example value'
      : Buffer.byteLength(value) < MIN_SECRET_BYTES
        ? `is shorter than ${MIN_SECRET_BYTES} bytes`
        : new Set(value).size < MIN_SECRET_DISTINCT_CHARS
          ? `has fewer than ${MIN_SECRET_DISTINCT_CHARS} distinct characters (not random)`
          : null;
    if (why) {
      problems.push(
        `${name}: ${why}; ` +
          `production needs a random secret of at least ${MIN_SECRET_BYTES} bytes, e.g. \`openssl rand -hex 32\``,
      );
    }
  }
  return problems;
}
