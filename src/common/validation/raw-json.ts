/**
 * Free-form JSON fields (input, output, metadata, ...) of class-based bodies. class-transformer walks
 * every nested object while building the DTO: it drops keys such as `constructor` (and Nest's pipe
 * deletes `constructor` and `prototype` keys beforehand, since an own `constructor` would make
 * class-transformer call it), so a PATCH lost keys that the same POST keeps. The validation pipe
 * hands these fields to class-transformer as empty stand-ins of the same kind (enough for their
 * validators) and puts the parsed values back afterwards (cleaned of `__proto__` by secure-json-parse).
 */
const RAW_JSON_FIELDS = Symbol('rawJsonFields');

/** A check of a raw field's value as sent: the problem, or null when it is fine. */
export type RawJsonCheck = (value: unknown) => string | null;

type Marked = { [RAW_JSON_FIELDS]?: Map<string, RawJsonCheck | undefined> };

/** Marks a free-form field; `check`, when given, judges the value as sent (after the class's own validators). */
export function markRawJson(target: object, property: string, check?: RawJsonCheck): void {
  // A copy per class: a subclass adds to its own map, not to its parent's.
  const fields = new Map((target as Marked)[RAW_JSON_FIELDS] ?? []);
  fields.set(property, check);
  Object.defineProperty(target, RAW_JSON_FIELDS, {
    value: fields,
    enumerable: false,
    writable: true,
    configurable: true,
  });
}

/** A shallow copy of a body with each marked field's object or array replaced by an empty one. */
export function shieldRawJson(metatype: unknown, raw: unknown): unknown {
  const fields = (metatype as Marked | undefined)?.[RAW_JSON_FIELDS];
  if (!fields || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const copy: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const field of fields.keys()) {
    const value = copy[field];
    if (typeof value === 'object' && value !== null) copy[field] = Array.isArray(value) ? [] : {};
  }
  return copy;
}

/**
 * Copies the marked fields of `metatype` from the raw body onto the transformed DTO; the problems
 * their checks find in the values as sent, by field.
 */
export function restoreRawJson(
  metatype: unknown,
  raw: unknown,
  dto: unknown,
): Array<{ field: string; message: string }> {
  const fields = (metatype as Marked | undefined)?.[RAW_JSON_FIELDS];
  if (!fields || typeof raw !== 'object' || raw === null || typeof dto !== 'object' || dto === null) return [];
  const problems: Array<{ field: string; message: string }> = [];
  for (const [field, check] of fields) {
    if (Object.prototype.hasOwnProperty.call(raw, field)) {
      const value = (raw as Record<string, unknown>)[field];
      (dto as Record<string, unknown>)[field] = value;
      const problem = check?.(value);
      if (problem) problems.push({ field, message: problem });
    }
  }
  return problems;
}
