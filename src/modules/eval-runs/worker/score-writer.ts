import type { DataSource, EntityManager } from 'typeorm';
import type { InsertedScore, RunScoreStore } from '../../scores/run-scores.store';
import type { JudgeTranscriptStore, TranscriptToWrite } from '../../scores/transcripts/judge-transcript.store';
import type { TracesForJudging } from '../../traces/traces-for-judging';
import { inTransaction } from '../../../database/prepared';
import type { ExecutableRun, ScoreToWrite, SessionScoreToWrite } from './ledger.types';

/** Writes a run's scores, exactly once each (see insertScores), through the scores module's ports. */
export class RunScoreWriter {
  constructor(
    private readonly ds: DataSource,
    private readonly scores: RunScoreStore,
    private readonly traces: TracesForJudging,
    /** The scores module's port for judge transcripts, written with the scores they explain. */
    private readonly transcripts?: JudgeTranscriptStore,
  ) {}

  /**
   * Writes a batch's scores: trace scores (the signals of a session run) first, then session scores,
   * each one statement (RunScoreStore.insertAutomated). `ON CONFLICT DO NOTHING` on the unique
   * (eval_run_id, trace_id or session_id, name) keys makes a second write a no-op; triggers add what
   * was really inserted to the run's counters, and the transcripts of those scores are written by
   * their ids. A trace deleted since the batch was loaded fails the foreign key: the batch
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
        let inserted: InsertedScore[] = [];
        for (let attempt = 0; rows.length > 0; attempt++) {
          const written = await this.scores.insertAutomated(runner, run, rows, 'trace');
          if (written) {
            inserted = written;
            break;
          }
          if (attempt >= 3) throw new Error(`Scores of run ${run.id} kept failing their foreign keys`);
          rows = await this.stillExisting(runner.manager, run, rows);
        }
        await this.transcripts?.writeForRun(runner.manager, run.projectId, transcriptsOf(rows, inserted));
        if (sessionRows.length > 0) await this.scores.insertAutomated(runner, run, sessionRows, 'session');
        // The run's row lock (the counting trigger took it already if a row was inserted; cancel()
        // takes it): the status read under it stays true until commit. No advisory lock here: score
        // deletions take that one before this row lock, and a trace deletion holds the trace's row.
        const [row] = await runner.query(`SELECT status FROM eval_runs WHERE id = $1 FOR NO KEY UPDATE`, [run.id]);
        return Boolean(row) && row.status !== 'CANCELLED';
      },
      (written) => written,
    );
  }

  /** The scores whose trace is still in the run's project, none if the run is gone. */
  private async stillExisting(m: EntityManager, run: ExecutableRun, rows: ScoreToWrite[]): Promise<ScoreToWrite[]> {
    const [exists] = await m.query(`SELECT 1 FROM eval_runs WHERE id = $1`, [run.id]);
    if (!exists) return [];
    const alive = await this.traces.stillInProject(m, run.projectId, [...new Set(rows.map((r) => r.traceId))]);
    return rows.filter((r) => alive.has(r.traceId));
  }
}

/** The transcripts of the scores this write inserted (a score already stored keeps its own). */
function transcriptsOf(rows: ScoreToWrite[], inserted: InsertedScore[]): TranscriptToWrite[] {
  const ids = new Map(inserted.map((s) => [`${s.subject} ${s.name}`, s.id]));
  return rows.flatMap((r) => {
    const scoreId = ids.get(`${r.traceId} ${r.name}`);
    return scoreId && r.transcript?.length ? [{ scoreId, attempts: r.transcript }] : [];
  });
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
