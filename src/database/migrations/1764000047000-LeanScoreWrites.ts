import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Less work per score a run writes (docs/performance.md, "Issue 27, point 4: PostgreSQL per
 * evaluation"):
 *
 * - `ix_trace_scores_project_name (project_id, name, created_at DESC)` goes: `ix_trace_scores_analytics
 *   (project_id, name, created_at) INCLUDE (…)` has the same keys (a B-tree is read backwards as
 *   well as forwards), so every statement that used the one can use the other, and each score
 *   inserted wrote both.
 * - `judge_transcripts.project_id` no longer references `projects`: a transcript is deleted with its
 *   score (`score_id … ON DELETE CASCADE`), and a project's scores with the project, so the second
 *   cascade changed nothing but cost a foreign-key check (a lookup and a row lock of the project)
 *   for every transcript written.
 */
export class LeanScoreWrites1764000047000 implements MigrationInterface {
  name = 'LeanScoreWrites1764000047000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_trace_scores_project_name`);
    await q.query(`ALTER TABLE judge_transcripts DROP CONSTRAINT IF EXISTS judge_transcripts_project_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE judge_transcripts ADD CONSTRAINT judge_transcripts_project_id_fkey
         FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE`,
    );
    await q.query(`CREATE INDEX ix_trace_scores_project_name ON trace_scores (project_id, name, created_at DESC)`);
  }
}
