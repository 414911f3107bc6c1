import type {
  EvalRunLedgerRepository,
  ExecutableRun,
  FinishedItem,
  ScoreToWrite,
  SessionScoreToWrite,
  SettleResult,
} from './eval-run-ledger.repository';
import type { FaultInjector } from '../../../common/faults/fault-injector';

interface Entry {
  item: FinishedItem;
  scores: ScoreToWrite[];
  /** A SESSION run's session scores (its trace scores are the signals). */
  sessionScores: SessionScoreToWrite[];
  resolve: (result: SettleResult) => void;
  reject: (error: unknown) => void;
}

/** Most items written by one flush. */
const MAX_BATCH = 64;

/** Told after every committed batch, with the run's status. */
export type BatchListener = (result: SettleResult, written: Entry[]) => void;

/**
 * Group commit of settled items for one run in one process: an item is written at once when no
 * write is in flight; otherwise it joins the next batch, written as soon as the current one ends.
 * Each batch is its scores (one INSERT through the entity), then one statement settling the items
 * and adding their usage to the run (budgets are reserved per judge call, see RunBudget), so the run row is
 * updated once per batch instead of once per trace. Adds no delay at low load.
 */
export class RunFinisher {
  private pending: Entry[] = [];
  private writing = false;

  constructor(
    private readonly ledger: EvalRunLedgerRepository,
    private readonly run: ExecutableRun,
    private readonly leaseToken: string,
    private readonly faults: FaultInjector,
    private readonly onBatch: BatchListener,
  ) {}

  /** Resolves once the item's scores and its settlement are committed. */
  submit(item: FinishedItem, scores: ScoreToWrite[], sessionScores: SessionScoreToWrite[] = []): Promise<SettleResult> {
    return new Promise<SettleResult>((resolve, reject) => {
      this.pending.push({ item, scores, sessionScores, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          // Signals first: a session score is only ever written after the signals it was computed from.
          // Nothing is written for a run CANCELLED meanwhile: settle() then gives its items back.
          await this.ledger.insertScores(
            this.run,
            batch.flatMap((e) => e.scores),
            batch.flatMap((e) => e.sessionScores),
          );
          this.faults.hit('score_write');
          const result = await this.ledger.settle(
            this.run.id,
            this.leaseToken,
            batch.map((e) => e.item),
          );
          this.faults.hit('finish');
          this.onBatch(result, batch);
          for (const e of batch) e.resolve(result);
        } catch (error) {
          for (const e of batch) e.reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}

export type { Entry as FinisherEntry };
