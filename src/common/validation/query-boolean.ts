/** Query booleans as the original (pydantic) reads them; anything else stays a string and is a 422. */
const BOOLEAN_TEXT: Record<string, boolean> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  yes: true,
  no: false,
  on: true,
  off: false,
};

/** A class-transformer `@Transform` for a query boolean, spelled as pydantic accepts it. */
export const toQueryBoolean = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.toLowerCase() in BOOLEAN_TEXT ? BOOLEAN_TEXT[value.toLowerCase()] : value;
