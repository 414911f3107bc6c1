import type { EvalRunLedgerRepository, ExecutableRun, FinishedItem, ScoreRow } from './eval-run-ledger.repository';

interface Entry {
  item: FinishedItem;
  scores: ScoreRow[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Most items written by one flush. */
const MAX_BATCH = 64;

/**
 * Group commit of finished items for one run in one process: an item is written at once when no
 * write is in flight; otherwise it joins the next batch, written as soon as the current one ends.
 * Each batch is two statements (its scores, then the items and the run's counters), so the run
 * row is updated once per batch instead of once per trace. Adds no delay at low load.
 */
export class RunFinisher {
  private pending: Entry[] = [];
  private writing = false;

  constructor(
    private readonly ledger: EvalRunLedgerRepository,
    private readonly run: ExecutableRun,
    private readonly leaseToken: string,
  ) {}

  /** Resolves once the item's scores and its finish are committed. */
  submit(item: FinishedItem, scores: ScoreRow[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, scores, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          await this.ledger.insertScores(
            this.run,
            batch.flatMap((e) => e.scores.map((s) => ({ ...s, trace_id: e.item.traceId }))),
          );
          await this.ledger.finish(
            this.run.id,
            this.leaseToken,
            batch.map((e) => e.item),
          );
          for (const e of batch) e.resolve();
        } catch (error) {
          for (const e of batch) e.reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
