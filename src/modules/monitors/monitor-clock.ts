/** Where monitors read the time: injectable, so tests drive the scheduler with fixed clocks. */
export interface MonitorClock {
  now(): Date;
}

export const MONITOR_CLOCK = Symbol('MONITOR_CLOCK');

export const systemClock: MonitorClock = { now: () => new Date() };
