import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Budget reservations of a run: every judge call of a budgeted run must first win one call (and its
 * estimated tokens) here, in one conditional UPDATE, so a budget holds across processes. Calls not
 * made give theirs back; a made call's reported tokens replace its estimate. Constant defaults:
 * adding them rewrites nothing.
 */
export class JudgeReservations1764000034000 implements MigrationInterface {
  name = 'JudgeReservations1764000034000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE eval_runs ADD COLUMN judge_calls_reserved integer NOT NULL DEFAULT 0,
                             ADD COLUMN judge_tokens_reserved bigint NOT NULL DEFAULT 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE eval_runs DROP COLUMN IF EXISTS judge_calls_reserved, DROP COLUMN IF EXISTS judge_tokens_reserved`,
    );
  }
}
