import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the judge was sent and answered, per judged trace score. Texts (system prompt, prompts,
 * answers) are stored once per project in `judge_transcript_blobs`, keyed by their SHA-256 and
 * gzip-compressed; `judge_transcripts` holds one row per score (deleted with it) listing its
 * attempts with their texts' hashes. A statement trigger removes the blobs no transcript names any
 * more, so a blob lives exactly as long as a score that shows it. `judge_transcript_settings` is
 * the per-project opt-out (no row: transcripts kept). And an index for filtering scores by the
 * metric version they record.
 */
export class JudgeTranscripts1764000042000 implements MigrationInterface {
  name = 'JudgeTranscripts1764000042000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE judge_transcript_blobs (
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
        body bytea NOT NULL,
        chars integer NOT NULL CHECK (chars >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, hash)
      )`);
    await q.query(`
      CREATE TABLE judge_transcripts (
        score_id uuid PRIMARY KEY REFERENCES trace_scores(id) ON DELETE CASCADE,
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        attempts jsonb NOT NULL,
        blob_hashes text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_judge_transcripts_project ON judge_transcripts (project_id)`);
    await q.query(`CREATE INDEX ix_judge_transcripts_blobs ON judge_transcripts USING gin (blob_hashes)`);
    await q.query(`
      CREATE TABLE judge_transcript_settings (
        project_id uuid PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
        enabled boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE FUNCTION judge_transcript_blobs_gc() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM judge_transcript_blobs b
         USING (SELECT DISTINCT g.project_id, h.hash FROM gone g CROSS JOIN LATERAL unnest(g.blob_hashes) AS h(hash)) d
         WHERE b.project_id = d.project_id AND b.hash = d.hash
           AND NOT EXISTS (SELECT 1 FROM judge_transcripts t
                            WHERE t.blob_hashes @> ARRAY[d.hash] AND t.project_id = d.project_id);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER judge_transcripts_gc AFTER DELETE ON judge_transcripts
      REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION judge_transcript_blobs_gc()`);
    // Scores record their metric's version in metadata.metric_version; lists and analytics filter by it.
    await q.query(`
      CREATE INDEX ix_trace_scores_metric_version
        ON trace_scores (project_id, name, (metadata->>'metric_version'))
        WHERE metadata ? 'metric_version'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_trace_scores_metric_version`);
    await q.query(`DROP TABLE judge_transcript_settings`);
    await q.query(`DROP TABLE judge_transcripts`);
    await q.query(`DROP FUNCTION judge_transcript_blobs_gc()`);
    await q.query(`DROP TABLE judge_transcript_blobs`);
  }
}
