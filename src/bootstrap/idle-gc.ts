import type { Server } from 'node:http';

/** The `gc` that `--expose-gc` (in the start scripts) defines; 'last-resort' is V8's full, memory-releasing collection. */
export type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** No request in flight, and none started or finished, for this long: the API is at rest. */
export const IDLE_QUIET_MS = 5_000;
/** Collect only when RSS has grown this much since the last idle collection (or since start). */
export const IDLE_GROWTH_BYTES = 16 * 1024 * 1024;
const CHECK_MS = 2_500;

/**
 * Gives memory back once the API is at rest. After a burst (ingestion at 32 clients) V8 keeps the
 * pages its heap grew into: it shrinks its count, not the resident set, and its memory reducer never
 * runs here because it judges the allocation rate from the last collections, which stays "high"
 * while an idle process collects nothing (docs/performance.md, "Fifth pass"). A 'last-resort'
 * collection releases those pages. It is a full pause (tens to a few hundred ms), so it runs only at
 * rest and only after real growth: one per burst, none under steady traffic or a trickle of
 * health checks.
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

  requestStarted(): void {
    this.inFlight += 1;
    this.lastActivity = this.now();
  }

  requestEnded(): void {
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

/**
 * Watches `server`'s requests and checks every few seconds; does nothing when node runs without
 * `--expose-gc` (tests, or a start command other than the documented ones). Returns a stop function.
 */
export function startIdleGc(
  server: Server,
  log: (message: string) => void,
  rss: () => number = process.memoryUsage.rss,
): () => void {
  const gc = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return () => undefined;
  const idle = new IdleGc(gc as GcFunction, rss);
  server.on('request', (_req, res) => {
    idle.requestStarted();
    res.once('close', () => idle.requestEnded());
  });
  const timer = setInterval(() => {
    const done = idle.check();
    const mb = (n: number) => Math.round(n / 1048576);
    if (done) log(`at rest: heap collected, RSS ${mb(done.before)} -> ${mb(done.after)} MB`);
  }, CHECK_MS).unref();
  return () => clearInterval(timer);
}
