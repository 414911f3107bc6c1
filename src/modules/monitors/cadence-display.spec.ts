import { parseCadence } from './cadence';
import { cadenceInterval, isShownCadence, shownCadence } from './cadence-display';

const anchor = new Date('2026-03-04T10:17:42Z'); // a Wednesday

describe('cadences shown to the dashboard', () => {
  it.each([
    ['daily', 'daily'],
    ['weekly', 'weekly'],
    ['every_6h', 'every_6h'],
    ['cron:0 3 * * *', 'cron:0 3 * * *'],
    ['every_1m', 'cron:* * * * *'],
    ['every_15m', 'cron:2,17,32,47 * * * *'],
    ['every_1h', 'cron:17 * * * *'],
    ['every_2h', 'cron:17 0,2,4,6,8,10,12,14,16,18,20,22 * * *'],
    ['every_8h', 'cron:17 2,10,18 * * *'],
    ['every_24h', 'cron:17 10 * * *'],
    ['every_168h', 'cron:17 10 * * 3'],
  ])('%s is shown as %s', (stored, shown) => {
    expect(shownCadence(stored, anchor)).toBe(shown);
    expect(cadenceInterval(stored, anchor)).toBe(shown === stored ? null : stored);
  });

  it('an interval that divides neither an hour nor a day is shown with the same step inside it', () => {
    expect(shownCadence('every_7m', anchor)).toBe('cron:3,10,17,24,31,38,45,52,59 * * * *');
    expect(shownCadence('every_5h', anchor)).toBe('cron:17 0,5,10,15,20 * * *');
  });

  it('every shown form is a valid cadence, and sending it back is recognised as no change', () => {
    for (const stored of ['every_1m', 'every_7m', 'every_15m', 'every_1h', 'every_5h', 'every_48h', 'every_168h']) {
      const shown = parseCadence(shownCadence(stored, anchor));
      expect(isShownCadence(shown, stored, anchor)).toBe(true);
      expect(isShownCadence(parseCadence('daily'), stored, anchor)).toBe(false);
    }
  });
});
