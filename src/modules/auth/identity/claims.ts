import { unauthenticated } from '../../../common/errors/domain.error';

/** What a verified token says about its user. */
export interface IdentityClaims {
  sub: string;
  /** Null when the token carries none, or says it is not verified (`email_verified: false`). */
  email: string | null;
  displayName: string;
}

// No control characters (PostgreSQL refuses NUL in text); length checked separately.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/u;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A string claim we store: well-formed UTF-16 (a lone surrogate would be stored as U+FFFD, so two
 * different subjects could become one user), no control characters, within the column's length.
 */
function usable(value: unknown, max: number): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= max &&
    !LONE_SURROGATE.test(value) &&
    !CONTROL.test(value)
  );
}

/**
 * Reads the identity claims of a verified JWT (ours or any OIDC issuer's, Firebase ID tokens
 * included: `sub`, `email`, `email_verified`, `name`). A bad subject refuses the token (401); a bad
 * optional claim is dropped.
 */
export function readClaims(payload: Record<string, unknown>): IdentityClaims {
  if (!usable(payload.sub, 255)) throw unauthenticated('Token has no usable subject (sub).');
  const email =
    usable(payload.email, 320) && payload.email_verified !== false && payload.email.includes('@')
      ? payload.email.trim()
      : null;
  const name = usable(payload.name, 255)
    ? payload.name.trim()
    : usable(payload.display_name, 255)
      ? String(payload.display_name).trim()
      : '';
  return { sub: payload.sub, email: email || null, displayName: name };
}
