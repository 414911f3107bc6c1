import { setTimeout as sleep } from 'node:timers/promises';
import { TERMINAL_STATUSES } from '../entities/eval-run.entity';
import type { ClaimedItem, EvalRunLedgerRepository, SliceState } from './eval-run-ledger.repository';
import type { Lane, SlotPool } from './slot-pool';

/** Reports a slice's progress (0–100); the Bull job's `progress()`. */
export type ProgressReporter = (percent: number) => unknown;

/** A claimed item with the batch it was loaded in (the batch's shape is the executor's business). */
export interface ReadyItem<B> {
  item: ClaimedItem;
  batch: B;
}

/** What a pump needs from the executor that runs it. */
export interface PumpHost<B> {
  readonly pool: SlotPool;
  readonly ledger: EvalRunLedgerRepository;
  readonly leaseMs: number;
  /** The run's project: the pool shares its slots fairly between projects. */
  readonly projectId: string;
  /** False once the process stops or the run is stopped: nothing new starts after that. */
  live(): boolean;
  claimAndLoad(limit: number): Promise<Array<ReadyItem<B>>>;
  /** Evaluates and submits one item; calls `judged()` once its judge calls are over. Never throws. */
  evaluate(ready: ReadyItem<B>, judged: () => void): Promise<void>;
  /** Gives unjudged items back to the ledger (at stop or shutdown). */
  giveBack(traceIds: string[]): Promise<void>;
}

/** What the pump does next, decided after each claim and dispatch. */
type Next = 'again' | 'done';

const isTerminal = (status: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(status);

/**
 * Works one slice of a run until none of its items is open, as a loop of three steps read top to
 * bottom: claim (top up a small prefetch of claimed, loaded items), dispatch (hand prefetched items
 * to free slots of the process-wide pool), wait (for whichever event can let the next round do
 * something). A slot bounds judging only: it is given back once an item's metrics are evaluated,
 * while its scores are still being written, so the judge never waits on the database.
 */
export class SlicePump<B> {
  /** Claimed and loaded, waiting for a slot: hides the claim and load latency. */
  private readonly ready: Array<ReadyItem<B>> = [];
  /** Items evaluated or being evaluated but not yet written. */
  private readonly unsettled = new Set<Promise<void>>();
  private readonly batchMin: number;
  /**
   * Fewest items one claim asks for, a pool's worth: a claim is four statements (claim, traces,
   * spans, scores), and topping up a handful at a time made claims most of the worker's PostgreSQL
   * transactions (0.67 of 0.71 per evaluation with an instant judge).
   */
  private readonly claimMin: number;
  /** Bounds `unsettled`, in case the database lags behind the judge. */
  private readonly maxUnsettled: number;
  /** Items of this slice holding a slot (being judged). */
  private judging = 0;
  /** Set when a claim came back empty: wait for what is in flight before claiming again. */
  private exhausted = false;
  /** Wakes the pump when one of its slots is given back. */
  private slotFreed: (() => void) | null = null;
  private readonly progress: SliceProgress;
  /** This pump's access to the pool's slots, for its run's project. */
  private readonly lane: Lane;

  constructor(
    private readonly host: PumpHost<B>,
    private readonly runId: string,
    private readonly slice: number,
    atStart: Pick<SliceState, 'open' | 'total'>,
    reporter?: ProgressReporter,
  ) {
    this.batchMin = Math.max(1, Math.floor(host.pool.capacity / 8));
    this.claimMin = host.pool.capacity;
    this.maxUnsettled = host.pool.capacity * 4;
    this.progress = new SliceProgress(atStart, reporter);
    this.lane = host.pool.join(host.projectId);
  }

  async run(): Promise<void> {
    try {
      while (this.host.live()) {
        const wanted = await this.claim();
        this.dispatch();
        if ((await this.wait(wanted)) === 'done') break;
      }
    } finally {
      // Stopped (or failed) with items still waiting for a slot: give them back now, unjudged.
      this.lane.want(0);
      if (this.ready.length > 0) await this.host.giveBack(this.ready.splice(0).map((r) => r.item.traceId));
      await Promise.allSettled([...this.unsettled]);
      this.lane.leave();
    }
    this.progress.report();
  }

  /**
   * Tops up the prefetch (once fewer than batchMin wait) to this slice's fair share of slots, at
   * least claimMin items; returns how many items it asked for.
   */
  private async claim(): Promise<number> {
    if (this.exhausted || this.ready.length >= this.batchMin) return 0;
    const share = Math.max(this.batchMin, this.lane.share());
    const wanted = Math.max(this.claimMin, share + this.batchMin - this.judging - this.ready.length);
    const claimed = await this.host.claimAndLoad(wanted);
    if (claimed.length === 0) this.exhausted = true;
    else this.ready.push(...claimed);
    return wanted;
  }

  /**
   * Starts prefetched items while the pool gives this project slots and the unsettled bound allows;
   * then tells the pool how many items still wait for a slot (its project's claim on the next ones).
   */
  private dispatch(): void {
    while (
      this.ready.length > 0 &&
      this.host.live() &&
      this.unsettled.size < this.maxUnsettled &&
      this.lane.tryTake()
    ) {
      this.start(this.ready.shift()!);
    }
    this.lane.want(this.host.live() ? this.ready.length : 0);
  }

  private start(ready: ReadyItem<B>): void {
    let holding = true;
    this.judging += 1;
    const freeSlot = () => {
      if (!holding) return;
      holding = false;
      this.judging -= 1;
      this.lane.give(1);
      const wake = this.slotFreed;
      this.slotFreed = null;
      wake?.();
    };
    const p: Promise<void> = this.host.evaluate(ready, freeSlot).finally(() => {
      freeSlot();
      this.progress.settled();
      this.unsettled.delete(p);
    });
    this.unsettled.add(p);
  }

  /** Waits for the event that lets the next round make progress; 'done' when the slice has none open. */
  private async wait(wanted: number): Promise<Next> {
    if (this.unsettled.size >= this.maxUnsettled) {
      await Promise.race(this.unsettled);
      return 'again';
    }
    if (this.ready.length > 0) {
      if (this.host.live()) await this.lane.waitForTurn();
      return 'again';
    }
    if (this.exhausted) {
      if (this.unsettled.size > 0) {
        await Promise.race(this.unsettled);
      } else {
        // Nothing claimable: done, unless items of the slice are still leased elsewhere (a
        // duplicate job, a taken-over worker): wait for them to finish or their leases to expire.
        const state = await this.host.ledger.sliceState(this.runId, this.slice);
        if (!state || isTerminal(state.status) || state.open === 0) return 'done';
        await sleep(Math.min(1_000, Math.floor(this.host.leaseMs / 3)), undefined, { ref: false });
      }
      this.exhausted = false;
      return 'again';
    }
    if (wanted === 0 && this.judging > 0) {
      // This slice holds its share of slots: wait until one of them is given back.
      await new Promise<void>((resolve) => (this.slotFreed = resolve));
    }
    return 'again';
  }
}

/**
 * The slice's items done when this pump started, plus those it settled, over all the slice's items;
 * reported when the percentage moves. Counted over the whole slice, not from this pump's start: a
 * job taken up again (Bull's stalled-job check, a second worker) goes on from where the slice is,
 * instead of writing a smaller figure over the progress its first pump reported.
 */
class SliceProgress {
  private done: number;
  private readonly total: number;
  private reported = -1;

  constructor(
    atStart: Pick<SliceState, 'open' | 'total'>,
    private readonly reporter?: ProgressReporter,
  ) {
    this.total = atStart.total;
    this.done = atStart.total - atStart.open;
  }

  settled(): void {
    this.done += 1;
    this.report();
  }

  report(): void {
    const pct = this.total === 0 ? 100 : Math.min(100, Math.floor((100 * this.done) / this.total));
    if (this.reporter && pct !== this.reported) {
      this.reported = pct;
      Promise.resolve(this.reporter(pct)).catch(() => undefined);
    }
  }
}
