import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { execute, prepared } from '../../../database/prepared';
import type { JudgeAttempt } from '../../judge/judge.types';
import { compress, decodeTranscript, encodeTranscript, type StoredAttempt } from './transcript-codec';

/** A judged score's transcript about to be written, for the score the same write just inserted. */
export interface TranscriptToWrite {
  scoreId: string;
  attempts: JudgeAttempt[];
}

export interface ReadTranscript {
  scoreId: string;
  attempts: JudgeAttempt[];
  createdAt: Date;
}

/**
 * A write batch's transcripts ($2, JSON) of project $1, each naming its score; the blob hashes of
 * those really inserted come back once each, as rows (not one text[] per transcript to parse).
 * Prepared, as the blobs' insert: a worker sends both for every write batch.
 */
const INSERT_TRANSCRIPTS = prepared(
  'insert_judge_transcripts',
  `WITH inserted AS (
     INSERT INTO judge_transcripts (score_id, project_id, attempts, blob_hashes)
     SELECT i.score_id, $1::uuid, i.attempts, i.hashes
     FROM jsonb_to_recordset($2::jsonb) AS i(score_id uuid, attempts jsonb, hashes text[])
     ON CONFLICT (score_id) DO NOTHING
     RETURNING blob_hashes)
   SELECT DISTINCT unnest(blob_hashes) COLLATE "C" AS hash FROM inserted ORDER BY hash`,
);
const INSERT_BLOBS = prepared(
  'insert_judge_transcript_blobs',
  `INSERT INTO judge_transcript_blobs (project_id, hash, body, chars)
   SELECT $1::uuid, b.hash, b.body, b.chars FROM unnest($2::text[], $3::bytea[], $4::int[]) AS b(hash, body, chars)
   ON CONFLICT (project_id, hash) DO NOTHING`,
);

/**
 * Judge transcripts: what the judge was sent and answered for each judged trace score. The port
 * eval runs write through (inside their score transaction), and the reads of the transcript route.
 * Hand-written SQL: blobs are upserted in bulk by hash; a transcript names its score by id.
 */
@Injectable()
export class JudgeTranscriptStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Writes the transcripts of scores a run just inserted (in the caller's transaction, by the
   * scores' ids, which the insert returned: a join on the run's unique key let a young table's
   * statistics read every score of the run per write). A score that already had one keeps it (a
   * retried write is a no-op); nothing is written for a project that opted out.
   */
  async writeForRun(m: EntityManager, projectId: string, items: TranscriptToWrite[]): Promise<void> {
    const judged = items.filter((i) => i.attempts.length > 0);
    if (judged.length === 0 || !(await this.enabled(projectId, m))) return;
    const texts = new Map<string, string>();
    const rows = judged.map((i) => ({ score_id: i.scoreId, ...encodeTranscript(i.attempts, texts) }));
    // Transcripts first: only the texts of those really inserted are stored, so no blob is left
    // without a transcript naming it (a score written before keeps its first transcript).
    const { rows: inserted } = await execute<{ hash: string }>(m, INSERT_TRANSCRIPTS, [
      projectId,
      JSON.stringify(rows),
    ]);
    const needed = inserted.map((r) => r.hash);
    if (needed.length === 0) return;
    const blobs = await Promise.all(needed.map((hash) => compress(hash, texts.get(hash)!)));
    await execute(m, INSERT_BLOBS, [projectId, needed, blobs.map((b) => b.body), blobs.map((b) => b.chars)]);
  }

  /** The transcript of a score of the project; null when it has none. */
  async read(projectId: string, scoreId: string): Promise<ReadTranscript | null> {
    const [row]: { attempts: StoredAttempt[]; blob_hashes: string[]; created_at: Date }[] = await this.db.query(
      `SELECT attempts, blob_hashes, created_at FROM judge_transcripts WHERE score_id = $1 AND project_id = $2`,
      [scoreId, projectId],
    );
    if (!row) return null;
    const found: { hash: string; body: Buffer }[] = await this.db.query(
      `SELECT hash, body FROM judge_transcript_blobs WHERE project_id = $1 AND hash = ANY($2::text[])`,
      [projectId, row.blob_hashes],
    );
    const blobs = new Map(found.map((b) => [b.hash, b.body]));
    return { scoreId, attempts: decodeTranscript(row.attempts, blobs), createdAt: row.created_at };
  }

  /** Whether the project keeps transcripts (the default). */
  async enabled(projectId: string, m: EntityManager = this.db.manager): Promise<boolean> {
    const [row]: { enabled: boolean }[] = await m.query(
      `SELECT enabled FROM judge_transcript_settings WHERE project_id = $1`,
      [projectId],
    );
    return row?.enabled ?? true;
  }

  async setEnabled(projectId: string, enabled: boolean): Promise<void> {
    await this.db.query(
      `INSERT INTO judge_transcript_settings (project_id, enabled) VALUES ($1, $2)
       ON CONFLICT (project_id) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()`,
      [projectId, enabled],
    );
  }
}
