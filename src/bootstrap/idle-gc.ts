import type { Server } from 'node:http';

/** The `gc` that `--expose-gc` (in the start scripts) defines; 'last-resort' is V8's full, memory-releasing collection. */
export type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** No work in flight (API: requests; worker: eval-run slices), and none started or finished, for this long: at rest. */
export const IDLE_QUIET_MS = 5_000;
/** Collect only when RSS has grown this much since the last idle collection (or since start). */
export const IDLE_GROWTH_BYTES = 8 * 1024 * 1024;
const CHECK_MS = 2_500;

/**
 * Gives memory back once the process is at rest. After a burst (ingestion at 32 clients in the API,
 * a run in the worker) V8 keeps the pages its heap grew into: it shrinks its count, not the resident
 * set, and its memory reducer never runs here because it judges the allocation rate from the last
 * collections, which stays "high" while an idle process collects nothing (docs/performance.md,
 * "Fifth pass"). A 'last-resort' collection releases those pages. It is a full pause (tens to a few
 * hundred ms), so it runs only at rest and only after real growth: one per burst, none under steady
 * work or a trickle of health checks.
 */
export class IdleGc {
  private inFlight = 0;
  private lastActivity: number;
  private baseline: number;

  constructor(
    private readonly gc: GcFunction,
    private readonly rss: () => number = process.memoryUsage.rss,
    private readonly now: () => number = Date.now,
  ) {
    this.lastActivity = now();
    this.baseline = rss();
  }

  /** A unit of work (a request, a slice) began. */
  started(): void {
    this.inFlight += 1;
    this.lastActivity = this.now();
  }

  /** A unit of work ended, however it ended. */
  ended(): void {
    this.inFlight -= 1;
    this.lastActivity = this.now();
  }

  /** Collects if at rest and grown; returns the RSS before and after when it did. */
  check(): { before: number; after: number } | undefined {
    if (this.inFlight > 0 || this.now() - this.lastActivity < IDLE_QUIET_MS) return undefined;
    const before = this.rss();
    if (before < this.baseline + IDLE_GROWTH_BYTES) return undefined;
    this.gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    this.baseline = this.rss();
    return { before, after: this.baseline };
  }
}

/** A running IdleGc: tell it when work starts and ends; `stop` ends its checks. */
export interface IdleWatch {
  started(): void;
  ended(): void;
  stop(): void;
}

/**
 * Checks every few seconds whether the process is at rest and grown, and collects then. Undefined
 * when node runs without `--expose-gc` (tests, or a start command other than the documented ones):
 * nothing is watched.
 */
export function startIdleGc(
  log: (message: string) => void,
  rss: () => number = process.memoryUsage.rss,
): IdleWatch | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return undefined;
  const idle = new IdleGc(gc as GcFunction, rss);
  const timer = setInterval(() => {
    const done = idle.check();
    const mb = (n: number) => Math.round(n / 1048576);
    if (done) log(`at rest: heap collected, RSS ${mb(done.before)} -> ${mb(done.after)} MB`);
  }, CHECK_MS).unref();
  return { started: () => idle.started(), ended: () => idle.ended(), stop: () => clearInterval(timer) };
}

/** The API's: its work is `server`'s requests. Returns a stop function. */
export function startApiIdleGc(
  server: Server,
  log: (message: string) => void,
  rss: () => number = process.memoryUsage.rss,
): () => void {
  const watch = startIdleGc(log, rss);
  if (!watch) return () => undefined;
  server.on('request', (_req, res) => {
    watch.started();
    res.once('close', () => watch.ended());
  });
  return watch.stop;
}
