/** Where monitors read the time: injectable, so tests drive the scheduler with fixed clocks. */
export interface MonitorClock {
  now(): Date;
}

export const MONITOR_CLOCK = Symbol('MONITOR_CLOCK');

export const systemClock: MonitorClock = { now: () => new Date() };

/** The monitor scheduler's own FaultInjector (point `monitor_fire`), apart from the eval-run worker's. */
export const MONITOR_FAULTS = Symbol('MONITOR_FAULTS');
