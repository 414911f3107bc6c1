import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scores whose judge provider reported no token counts (or non-finite ones) are kept out of a
 * run's token sums; this column counts them so the sums say how much they leave out.
 */
export class JudgeUnknownUsage1764000004000 implements MigrationInterface {
  name = 'JudgeUnknownUsage1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE eval_runs ADD COLUMN judge_unknown_usage integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE eval_runs DROP COLUMN judge_unknown_usage`);
  }
}
