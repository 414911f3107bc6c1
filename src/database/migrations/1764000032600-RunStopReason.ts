import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why a run stopped early, as data rather than as wording: `BUDGET` when the ledger stopped it at
 * one of its judge budgets. Monitors count budget stops from it. Runs stopped before this column
 * existed are recognised once, here, by the message the ledger wrote.
 */
export class RunStopReason1764000032600 implements MigrationInterface {
  name = 'RunStopReason1764000032600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE eval_runs ADD COLUMN stop_reason varchar(20) CHECK (stop_reason IN ('BUDGET'))`);
    await q.query(
      `UPDATE eval_runs SET stop_reason = 'BUDGET' WHERE status = 'FAILED' AND error_message LIKE 'Judge % budget reached%'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE eval_runs DROP COLUMN stop_reason`);
  }
}
