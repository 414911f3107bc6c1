import { Foundation1764000000000 } from './1764000000000-Foundation';

/** Every migration, in order. Hand-written, reviewed, never edited after it lands. */
export const MIGRATIONS = [Foundation1764000000000];
