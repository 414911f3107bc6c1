/**
 * Free-form JSON fields (input, output, metadata, ...) of class-based bodies. class-transformer walks
 * every nested object while building the DTO and silently drops keys such as `constructor` or
 * `hasOwnProperty`, so a PATCH would lose keys that the same POST keeps. The validation pipe puts
 * these fields back exactly as parsed (already cleaned of `__proto__` by stripProtoKeys).
 */
const RAW_JSON_FIELDS = Symbol('rawJsonFields');

type Marked = { [RAW_JSON_FIELDS]?: Set<string> };

export function markRawJson(target: object, property: string): void {
  // A copy per class: a subclass adds to its own set, not to its parent's.
  const fields = new Set((target as Marked)[RAW_JSON_FIELDS] ?? []);
  fields.add(property);
  Object.defineProperty(target, RAW_JSON_FIELDS, {
    value: fields,
    enumerable: false,
    writable: true,
    configurable: true,
  });
}

/** Copies the marked fields of `metatype` from the raw body onto the transformed DTO. */
export function restoreRawJson(metatype: unknown, raw: unknown, dto: unknown): void {
  const fields = (metatype as Marked | undefined)?.[RAW_JSON_FIELDS];
  if (!fields || typeof raw !== 'object' || raw === null || typeof dto !== 'object' || dto === null) return;
  for (const field of fields) {
    if (Object.prototype.hasOwnProperty.call(raw, field)) {
      (dto as Record<string, unknown>)[field] = (raw as Record<string, unknown>)[field];
    }
  }
}
