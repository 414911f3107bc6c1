import type { DataSource } from 'typeorm';
import { JudgeBudgetExhausted, type CallBudget } from '../../judge/judge.types';

/**
 * A run's max_judge_calls / max_judge_tokens as reservations on its row (one conditional UPDATE per
 * judge call, so it holds across any number of slots and worker processes): a call starts only once
 * it has won one call and its estimated tokens; a call not made gives them back; a made call's
 * reported tokens replace its estimate. The first refused call stops the run (FAILED, naming the
 * budget); calls already reserved finish and their scores are kept.
 */
export class RunBudget implements CallBudget {
  private readonly countsTokens: boolean;

  constructor(
    private readonly ds: DataSource,
    private readonly run: { id: string; maxJudgeTokens: number | null },
    /** Told of a refusal; `stoppedNow` when this refusal failed the run (exactly once per run). */
    private readonly onRefused: (reason: string, stoppedNow: boolean) => void,
  ) {
    this.countsTokens = run.maxJudgeTokens !== null;
  }

  async reserve(estimatedTokens: number): Promise<void> {
    const tokens = this.tokens(estimatedTokens);
    const [won] = await this.ds.query(
      `WITH won AS (
         UPDATE eval_runs SET judge_calls_reserved = judge_calls_reserved + 1, judge_tokens_reserved = judge_tokens_reserved + $2
         WHERE id = $1 AND status IN ('PENDING', 'RUNNING')
           AND (max_judge_calls IS NULL OR judge_calls_reserved < max_judge_calls)
           AND (max_judge_tokens IS NULL OR judge_tokens_reserved + $2 <= max_judge_tokens)
         RETURNING 1)
       SELECT count(*)::int AS n FROM won`,
      [this.run.id, tokens],
    );
    if (won.n === 1) return;
    const [row] = await this.ds.query(
      `WITH failed AS (
         UPDATE eval_runs SET status = 'FAILED', stop_reason = 'BUDGET', completed_at = now(), error_message = CASE
           WHEN max_judge_calls IS NOT NULL AND judge_calls_reserved >= max_judge_calls
             THEN format('Judge call budget reached: max_judge_calls is %s and %s calls were made. The scores so far are kept; retry the run to continue.', max_judge_calls, judge_calls_reserved)
           ELSE format('Judge token budget reached: max_judge_tokens is %s and %s tokens were used or reserved by calls in flight; the next call needed an estimated %s. The scores so far are kept; retry the run to continue.', max_judge_tokens, judge_tokens_reserved, $2::bigint)
         END
         WHERE id = $1 AND status IN ('PENDING', 'RUNNING')
           AND ((max_judge_calls IS NOT NULL AND judge_calls_reserved >= max_judge_calls)
             OR (max_judge_tokens IS NOT NULL AND judge_tokens_reserved + $2 > max_judge_tokens))
         RETURNING error_message)
       SELECT (SELECT error_message FROM failed) AS stopped_by,
              (SELECT coalesce(error_message, 'run ' || status) FROM eval_runs WHERE id = $1) AS reason`,
      [this.run.id, tokens],
    );
    const reason: string = row.stopped_by ?? row.reason ?? 'run deleted';
    this.onRefused(reason, row.stopped_by !== null);
    throw new JudgeBudgetExhausted(reason);
  }

  async settle(estimatedTokens: number, made: boolean, actualTokens: number | null): Promise<void> {
    const tokens = this.tokens(estimatedTokens);
    if (!made) {
      await this.ds.query(
        `UPDATE eval_runs SET judge_calls_reserved = judge_calls_reserved - 1, judge_tokens_reserved = judge_tokens_reserved - $2 WHERE id = $1`,
        [this.run.id, tokens],
      );
    } else if (this.countsTokens && actualTokens !== null && actualTokens !== tokens) {
      await this.ds.query(`UPDATE eval_runs SET judge_tokens_reserved = judge_tokens_reserved + $2 WHERE id = $1`, [
        this.run.id,
        actualTokens - tokens,
      ]);
    }
  }

  /** Tokens are reserved only when the run has a token budget (a calls-only budget reserves none). */
  private tokens(estimate: number): number {
    return this.countsTokens ? Math.max(0, Math.ceil(estimate)) : 0;
  }
}
