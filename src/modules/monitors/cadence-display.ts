import { type Cadence, parseCadence } from './cadence';

/** The cadences PandaProbe's dashboard knows; anything else its monitor form would reset to `daily`. */
const DASHBOARD_CADENCES = new Set(['every_6h', 'daily', 'weekly']);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `start, start + step, …` below `limit`. */
const steps = (start: number, step: number, limit: number) =>
  Array.from({ length: Math.ceil((limit - start) / step) }, (_, i) => start + i * step).join(',');

/**
 * How a monitor's cadence is shown in responses: the dashboard's own values unchanged, and our
 * `every_<n>m|h` intervals in their `cron:` form on the monitor's slot grid (minutes and hours
 * taken from its schedule anchor, UTC). An interval that divides an hour or a day has an exact cron
 * form; another (every_7m, every_5h, every_90m) is shown as the nearest cron with the same step
 * inside the hour or day, and `cadence_interval` keeps the exact text. An update that sends back
 * the cadence it was shown keeps the monitor's own (see isShownCadence), so saving a monitor in the
 * dashboard never changes its schedule.
 */
export function shownCadence(stored: string, anchor: Date): string {
  const cadence = parseCadence(stored);
  if (cadence.kind === 'cron' || DASHBOARD_CADENCES.has(cadence.text)) return cadence.text;
  return `cron:${cronFields(cadence.ms, anchor)}`;
}

function cronFields(ms: number, anchor: Date): string {
  const minute = anchor.getUTCMinutes();
  const hour = anchor.getUTCHours();
  if (ms < HOUR) {
    const n = ms / MINUTE;
    return n === 1 ? '* * * * *' : `${steps(minute % n, n, 60)} * * * *`;
  }
  if (ms < DAY) {
    const n = Math.round(ms / HOUR);
    return n === 1 ? `${minute} * * * *` : `${minute} ${steps(hour % n, n, 24)} * * *`;
  }
  const days = Math.round(ms / DAY);
  if (days === 7) return `${minute} ${hour} * * ${anchor.getUTCDay()}`;
  return days === 1
    ? `${minute} ${hour} * * *`
    : `${minute} ${hour} ${steps(((anchor.getUTCDate() - 1) % days) + 1, days, 32)} * *`;
}

/** The exact interval behind a shown cron form, or null when `cadence` is shown as it is stored. */
export function cadenceInterval(stored: string, anchor: Date): string | null {
  return shownCadence(stored, anchor) === stored ? null : parseCadence(stored).text;
}

/** Whether an update's cadence is the one the monitor is shown with (then nothing changes). */
export function isShownCadence(requested: Cadence, stored: string, anchor: Date): boolean {
  return requested.text === shownCadence(stored, anchor);
}
