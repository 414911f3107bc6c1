import { parseExpression } from 'cron-parser';

/**
 * Monitor cadences. `every_6h`, `daily`, `weekly` and `every_<n>m|h` are fixed intervals on a grid
 * that starts at the monitor's schedule anchor (its creation, or its last cadence change): slots are
 * anchor + k × interval. `cron:<5 fields>` slots are the expression's times in UTC. Either way a
 * slot depends only on the cadence and the anchor, never on when a scheduler happened to look, so
 * the schedule cannot drift.
 */
export type Cadence = { kind: 'interval'; text: string; ms: number } | { kind: 'cron'; text: string; expr: string };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NAMED: Record<string, number> = { every_6h: 6 * HOUR, daily: 24 * HOUR, weekly: 7 * 24 * HOUR };
/** The longest `every_<n>` interval: four weeks. */
const MAX_INTERVAL_MS = 28 * 24 * HOUR;
/** The shortest: one minute (a scheduler tick is seconds). */
const MIN_INTERVAL_MS = MINUTE;

export class CadenceError extends Error {}

/** Parses and normalises a cadence; throws CadenceError with a message fit for a 422. */
export function parseCadence(raw: unknown): Cadence {
  if (typeof raw !== 'string') throw new CadenceError('cadence must be a string');
  const text = raw.trim();
  if (NAMED[text] !== undefined) return { kind: 'interval', text, ms: NAMED[text] };
  const every = /^every_([1-9][0-9]{0,5})([mh])$/.exec(text);
  if (every) {
    const ms = Number(every[1]) * (every[2] === 'm' ? MINUTE : HOUR);
    if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
      throw new CadenceError('cadence every_<n>m|h must be between 1 minute and 4 weeks (e.g. every_15m, every_2h)');
    }
    return { kind: 'interval', text: `every_${every[1]}${every[2]}`, ms };
  }
  if (text.startsWith('cron:')) {
    const fields = text.slice('cron:'.length).trim().split(/\s+/).filter(Boolean);
    if (fields.length !== 5) {
      throw new CadenceError(
        'cadence cron:<expr> needs exactly 5 fields (minute hour day-of-month month day-of-week), e.g. cron:0 3 * * *',
      );
    }
    const expr = fields.join(' ');
    try {
      // Also proves the expression fires at all (e.g. 0 0 30 2 * never does).
      parseExpression(expr, { tz: 'UTC', currentDate: new Date(0) }).next();
    } catch (err) {
      throw new CadenceError(`cadence cron:${expr} is not a valid cron expression: ${(err as Error).message}`);
    }
    return { kind: 'cron', text: `cron:${expr}`, expr };
  }
  throw new CadenceError(
    "cadence must be 'every_6h', 'daily', 'weekly', 'every_<n>m', 'every_<n>h' or 'cron:<5-field expression>'",
  );
}

/**
 * How far ahead a new cron cadence must keep producing slots, and at most how many are walked (each
 * step of cron-parser costs milliseconds; the expressions that fail later are sparse, a few slots a
 * decade, so 20 slots reach their failure and dense ones are regular).
 */
const LASTS_YEARS = 10;
const LASTS_SLOTS = 20;

/**
 * Walks a cron cadence's slots from `from` (up to LASTS_YEARS ahead or LASTS_SLOTS slots, whichever first): cron-parser
 * can accept an expression that fails only at a later slot (`0 0 28-31/3 2 0#5` fires in 2032, then
 * throws), which the scheduler would meet years from now. Throws CadenceError for a 422 at creation.
 */
export function assertCadenceLasts(cadence: Cadence, from: Date): void {
  if (cadence.kind !== 'cron') return;
  const until = from.getTime() + LASTS_YEARS * 365.25 * 86_400_000;
  try {
    const slots = parseExpression(cadence.expr, { tz: 'UTC', currentDate: from });
    for (let i = 0; i < LASTS_SLOTS; i++) if (slots.next().toDate().getTime() > until) return;
  } catch (err) {
    throw new CadenceError(
      `cadence ${cadence.text} fails within ${LASTS_YEARS} years of slots: ${(err as Error).message}`,
    );
  }
}

/** The first slot strictly after `after`. Interval slots are anchor + k × interval (k ≥ 1). */
export function nextSlot(cadence: Cadence, anchor: Date, after: Date): Date {
  if (cadence.kind === 'interval') {
    const elapsed = after.getTime() - anchor.getTime();
    const k = Math.max(1, Math.floor(elapsed / cadence.ms) + 1);
    return new Date(anchor.getTime() + k * cadence.ms);
  }
  return parseExpression(cadence.expr, { tz: 'UTC', currentDate: after }).next().toDate();
}
