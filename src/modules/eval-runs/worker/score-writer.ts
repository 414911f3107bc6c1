import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TraceScoreEntity, ScoreDataType, ScoreSource, ScoreStatus } from '../../scores/entities/trace-score.entity';
import { SessionScoreEntity } from '../../scores/entities/session-score.entity';
import type { JudgeTranscriptStore, TranscriptToWrite } from '../../scores/transcripts/judge-transcript.store';
import { inTransaction } from './ledger-exec';
import type { ExecutableRun, ScoreRow, ScoreToWrite, SessionScoreToWrite } from './ledger.types';

/** Writes a run's scores, exactly once each (see insertScores). */
export class RunScoreWriter {
  constructor(
    private readonly ds: DataSource,
    /** The scores module's port for judge transcripts, written with the scores they explain. */
    private readonly transcripts?: JudgeTranscriptStore,
  ) {}

  /**
   * Writes a batch's scores: trace scores (the signals of a session run) first, then session scores,
   * each one statement through the TypeORM entity. `orIgnore()` on the unique (eval_run_id, trace_id
   * or session_id, name) keys makes a second write a no-op; triggers add what was really inserted to
   * the run's counters. A trace deleted since the batch was loaded fails the foreign key: the batch
   * is written again without it (a savepoint each try); a run deleted meanwhile writes nothing.
   * Committed only if the run is not CANCELLED once the run's row is locked (cancel() updates it),
   * so a cancelled run gets no score after it is CANCELLED. Returns whether it committed.
   */
  async insertScores(run: ExecutableRun, scores: ScoreToWrite[], sessionScores: SessionScoreToWrite[] = []) {
    if (scores.length === 0 && sessionScores.length === 0) return true;
    let rows = [...scores].sort((a, b) => cmp(a.traceId, b.traceId) || cmp(a.name, b.name));
    const sessionRows = [...sessionScores].sort((a, b) => cmp(a.sessionId, b.sessionId) || cmp(a.name, b.name));
    return inTransaction(
      this.ds,
      async (runner) => {
        for (let attempt = 0; rows.length > 0; attempt++) {
          if (
            await insertOrFkViolation(
              runner,
              TraceScoreEntity,
              rows.map((r) => toEntity(run, r)),
            )
          )
            break;
          if (attempt >= 3) throw new Error(`Scores of run ${run.id} kept failing their foreign keys`);
          rows = await stillExisting(runner.manager, run, rows);
        }
        await this.transcripts?.writeForRun(runner.manager, run.projectId, run.id, transcriptsOf(rows));
        if (sessionRows.length > 0) {
          await insertOrFkViolation(
            runner,
            SessionScoreEntity,
            sessionRows.map((r) => toSessionEntity(run, r)),
          );
        }
        // The run's row lock (the counting trigger took it already if a row was inserted; cancel()
        // takes it): the status read under it stays true until commit. No advisory lock here: score
        // deletions take that one before this row lock, and a trace deletion holds the trace's row.
        const [row] = await runner.query(`SELECT status FROM eval_runs WHERE id = $1 FOR NO KEY UPDATE`, [run.id]);
        return Boolean(row) && row.status !== 'CANCELLED';
      },
      (written) => written,
    );
  }
}

/** One INSERT … ON CONFLICT DO NOTHING under a savepoint; false when it broke a foreign key (rolled back). */
async function insertOrFkViolation(
  runner: QueryRunner,
  entity: typeof TraceScoreEntity | typeof SessionScoreEntity,
  values: QueryDeepPartialEntity<TraceScoreEntity & SessionScoreEntity>[],
): Promise<boolean> {
  await runner.query('SAVEPOINT score_rows');
  try {
    await runner.manager
      .createQueryBuilder()
      .insert()
      .into(entity)
      .values(values)
      .orIgnore()
      .updateEntity(false)
      .execute();
    await runner.query('RELEASE SAVEPOINT score_rows');
    return true;
  } catch (error) {
    if (!isForeignKeyViolation(error)) throw error;
    await runner.query('ROLLBACK TO SAVEPOINT score_rows');
    return false;
  }
}

/** The scores whose trace is still in the run's project, none if the run is gone. */
async function stillExisting(m: EntityManager, run: ExecutableRun, rows: ScoreToWrite[]): Promise<ScoreToWrite[]> {
  const found: { trace_id: string }[] = await m.query(
    `SELECT t.trace_id FROM traces t
       WHERE t.project_id = $1 AND t.trace_id = ANY($2::uuid[]) AND EXISTS (SELECT 1 FROM eval_runs r WHERE r.id = $3)`,
    [run.projectId, [...new Set(rows.map((r) => r.traceId))], run.id],
  );
  const alive = new Set(found.map((f) => f.trace_id));
  return rows.filter((r) => alive.has(r.traceId));
}

/** The columns every automated score of a run shares, trace or session. */
function automated(run: ExecutableRun, s: ScoreRow & { environment: string | null }) {
  return {
    projectId: run.projectId,
    name: s.name,
    dataType: (s.dataType as ScoreDataType | undefined) ?? ScoreDataType.NUMERIC,
    value: s.value,
    source: ScoreSource.AUTOMATED,
    status: s.status === 'SUCCESS' ? ScoreStatus.SUCCESS : ScoreStatus.FAILED,
    evalRunId: run.id,
    reason: s.reason,
    environment: s.environment,
    metadata: s.metadata,
  };
}

function toEntity(run: ExecutableRun, s: ScoreToWrite): QueryDeepPartialEntity<TraceScoreEntity> {
  return { traceId: s.traceId, ...automated(run, s) } as QueryDeepPartialEntity<TraceScoreEntity>;
}

function toSessionEntity(run: ExecutableRun, s: SessionScoreToWrite): QueryDeepPartialEntity<SessionScoreEntity> {
  return { sessionId: s.sessionId, ...automated(run, s) } as QueryDeepPartialEntity<SessionScoreEntity>;
}

const transcriptsOf = (rows: ScoreToWrite[]): TranscriptToWrite[] =>
  rows.flatMap((r) => (r.transcript?.length ? [{ traceId: r.traceId, name: r.name, attempts: r.transcript }] : []));

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function isForeignKeyViolation(error: unknown): boolean {
  return (
    (error as { code?: string } | null)?.code === '23503' ||
    (error as { driverError?: { code?: string } })?.driverError?.code === '23503'
  );
}
