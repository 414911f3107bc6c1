import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { execute, prepared } from '../../database/prepared';
import { SessionScoreEntity } from './entities/session-score.entity';
import { ScoreDataType, ScoreSource, ScoreStatus, TraceScoreEntity } from './entities/trace-score.entity';

/** What a run's scores are about: traces (a trace run's scores, a session run's signals) or sessions. */
export type ScoreSubject = 'trace' | 'session';

const ENTITY = { trace: TraceScoreEntity, session: SessionScoreEntity } as const;

/** Where the score `:afterId` stands in a run's scores, newest first. */
const POSITION = {
  trace: '(SELECT created_at, id FROM trace_scores WHERE id = :afterId)',
  session: '(SELECT created_at, id FROM session_scores WHERE id = :afterId)',
} as const;

/** An automated score a run writes: SUCCESS with a value or FAILED with a reason. */
export interface AutomatedScore {
  name: string;
  value: string | null;
  /** NUMERIC when absent; a custom metric's BOOLEAN or CATEGORICAL answer says so. */
  dataType?: 'NUMERIC' | 'BOOLEAN' | 'CATEGORICAL';
  status: 'SUCCESS' | 'FAILED';
  reason: string | null;
  metadata: Record<string, unknown>;
  /** Copied from the trace (or the session's first trace). */
  environment: string | null;
}

/** A score a run's write inserted: its id, its subject (trace id or session id) and name. */
export interface InsertedScore {
  id: string;
  subject: string;
  name: string;
}

/** A signal a trace already has: its score, and its value (null: this run's own signal FAILED). */
export interface ExistingSignal {
  scoreId: string;
  evalRunId: string | null;
  value: number | null;
}

/**
 * The names run $1 scored for each of ids $2 that has any. One probe of the unique (eval_run_id,
 * subject, name) key per id: an aggregate in a LATERAL subquery is never flattened into a join, so
 * the plan cannot turn into a scan of all the run's scores, which is what a young table's
 * statistics (a run's scores estimated at a handful of rows) chose for `subject = ANY($2)`: the
 * run's every score read at each claim, more work the further a run got (issue 27, point 4).
 */
const scoredNamesSql = (table: string, subject: string, subjectType: string) =>
  prepared(
    `scored_names_${table}`,
    `SELECT k.id, s.names FROM unnest($2::${subjectType}[]) AS k(id)
   CROSS JOIN LATERAL (SELECT array_agg(name) AS names FROM ${table} WHERE eval_run_id = $1 AND ${subject} = k.id) s
   WHERE s.names IS NOT NULL`,
  );
const SCORED_NAMES = {
  trace: scoredNamesSql('trace_scores', 'trace_id', 'uuid'),
  session: scoredNamesSql('session_scores', 'session_id', 'varchar'),
} as const;

/**
 * The newest usable score per (trace, signal) of traces $2 in project $1, for signals $3 judged by
 * models $5: run $4's own first (SUCCESS or FAILED), else the newest SUCCESS automated numeric one.
 * Hand-written for DISTINCT ON, which TypeORM cannot say.
 */
const EXISTING_SIGNALS = `SELECT DISTINCT ON (s.trace_id, s.name) s.trace_id, s.name, s.id, s.eval_run_id, s.status, s.value
           FROM trace_scores s JOIN unnest($3::varchar[], $5::text[]) AS w(name, model) ON w.name = s.name
           WHERE s.project_id = $1 AND s.trace_id = ANY($2::uuid[])
             AND (s.eval_run_id = $4 OR (s.status = 'SUCCESS' AND s.source = 'AUTOMATED' AND s.value_number IS NOT NULL
                                         AND s.metadata -> 'judge_usage' ->> 'model' = w.model))
           ORDER BY s.trace_id, s.name, (s.eval_run_id IS NOT DISTINCT FROM $4::uuid) DESC, s.created_at DESC, s.id DESC`;

/**
 * A run's automated scores of one subject, all in one parameter ($3, a JSON array, in its order):
 * hand-written rather than through the entity's insert builder, whose per-row work was 5.6 % of
 * the bytes a worker allocated (issue 27 point 4 in docs/performance.md). `ON CONFLICT DO
 * NOTHING`, as `orIgnore()` was, makes a second write of a score a no-op; the scores really
 * inserted come back with their ids (their transcripts are attached by id). Prepared: a worker
 * sends it for every write batch.
 */
const insertAutomatedSql = (table: string, subject: string, subjectType: string) =>
  prepared(
    `insert_automated_${table}`,
    `INSERT INTO ${table} (${subject}, project_id, name, data_type, value, source, status, eval_run_id, reason, environment, metadata)
   SELECT r.subject, $1::uuid, r.name, r.data_type, r.value, '${ScoreSource.AUTOMATED}', r.status, $2::uuid, r.reason, r.environment, r.metadata
   FROM jsonb_to_recordset($3::jsonb) AS r(subject ${subjectType}, name varchar, data_type varchar, value varchar,
                                           status varchar, reason text, environment varchar, metadata jsonb)
   ON CONFLICT DO NOTHING
   RETURNING id, ${subject} AS subject, name`,
  );
const INSERT_AUTOMATED = {
  trace: insertAutomatedSql('trace_scores', 'trace_id', 'uuid'),
  session: insertAutomatedSql('session_scores', 'session_id', 'varchar'),
} as const;

/**
 * The scores module's port for eval runs: reading, writing and deleting the scores of one run, so
 * the run modules never name a score table. Every method is scoped by the run (and its project).
 */
@Injectable()
export class RunScoreStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * One page of a run's scores of `subject`, newest first: `count` scores after the score `afterId`
   * (keyset, so a long run is read in constant time per page), or from `offset` without `afterId`.
   */
  page(
    subject: ScoreSubject,
    projectId: string,
    runId: string,
    page: { count: number; offset?: number; afterId?: string },
  ): Promise<Array<TraceScoreEntity | SessionScoreEntity>> {
    const entity = ENTITY[subject];
    const qb = this.ds
      .getRepository<TraceScoreEntity | SessionScoreEntity>(entity)
      .createQueryBuilder('s')
      .where('s.evalRunId = :runId AND s.projectId = :projectId', { runId, projectId })
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(page.count);
    if (page.afterId) {
      qb.andWhere(`(s.created_at, s.id) < ${POSITION[subject]}`, { afterId: page.afterId });
    } else if (page.offset) qb.offset(page.offset);
    return qb.getMany();
  }

  /** Deletes a run's scores of each subject, in `m`'s transaction. */
  async deleteOfRun(m: EntityManager, projectId: string, runId: string, subjects: ScoreSubject[]): Promise<void> {
    for (const subject of subjects) {
      await m
        .createQueryBuilder()
        .delete()
        .from(ENTITY[subject])
        .where('eval_run_id = :runId AND project_id = :projectId', { runId, projectId })
        .execute();
    }
  }

  /** subject id → the names run `runId` already scored for it, of the given ids (a re-delivered item). */
  async scoredNames(subject: ScoreSubject, runId: string, ids: string[]): Promise<Map<string, Set<string>>> {
    const { rows } = await execute<{ id: string; names: string[] }>(this.ds, SCORED_NAMES[subject], [runId, ids]);
    return new Map(rows.map((r) => [r.id, new Set(r.names)]));
  }

  /** trace id → signal name → the score it already has (see EXISTING_SIGNALS), for a session run `runId`. */
  async existingSignals(
    projectId: string,
    runId: string,
    traceIds: string[],
    signals: ReadonlyArray<{ name: string; model: string }>,
  ): Promise<Map<string, Map<string, ExistingSignal>>> {
    const out = new Map<string, Map<string, ExistingSignal>>();
    if (traceIds.length === 0) return out;
    const rows: Array<{
      trace_id: string;
      name: string;
      id: string;
      eval_run_id: string | null;
      status: string;
      value: string | null;
    }> = await this.ds.query(EXISTING_SIGNALS, [
      projectId,
      traceIds,
      signals.map((s) => s.name),
      runId,
      signals.map((s) => s.model),
    ]);
    for (const r of rows) {
      if (!out.has(r.trace_id)) out.set(r.trace_id, new Map());
      out.get(r.trace_id)!.set(r.name, {
        scoreId: r.id,
        evalRunId: r.eval_run_id,
        value: r.status === 'SUCCESS' && r.value !== null ? Number(r.value) : null,
      });
    }
    return out;
  }

  /**
   * Inserts a run's automated scores of one subject in `runner`'s transaction, one statement
   * (INSERT_AUTOMATED): its ON CONFLICT on the unique (eval_run_id, trace_id or session_id, name)
   * keys makes a second write a no-op. Returns the scores inserted (not those already there).
   * Under a savepoint: null (rolled back) when a row broke a foreign key.
   */
  async insertAutomated(
    runner: QueryRunner,
    run: { id: string; projectId: string },
    rows: Array<AutomatedScore & ({ traceId: string } | { sessionId: string })>,
    subject: ScoreSubject,
  ): Promise<InsertedScore[] | null> {
    // Well-formed texts: jsonb refuses the escape JSON.stringify writes for a lone surrogate (a
    // reason cut mid-emoji), where a text parameter got U+FFFD from the driver's UTF-8 encoding.
    const values = rows.map((s) => ({
      subject: 'traceId' in s ? s.traceId : s.sessionId,
      name: s.name,
      data_type: s.dataType ?? ScoreDataType.NUMERIC,
      value: s.value?.toWellFormed() ?? null,
      status: s.status === 'SUCCESS' ? ScoreStatus.SUCCESS : ScoreStatus.FAILED,
      reason: s.reason?.toWellFormed() ?? null,
      environment: s.environment,
      metadata: s.metadata,
    }));
    await runner.query('SAVEPOINT score_rows');
    try {
      const { rows: inserted } = await execute<InsertedScore>(runner, INSERT_AUTOMATED[subject], [
        run.projectId,
        run.id,
        JSON.stringify(values),
      ]);
      await runner.query('RELEASE SAVEPOINT score_rows');
      return inserted;
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      await runner.query('ROLLBACK TO SAVEPOINT score_rows');
      return null;
    }
  }
}

function isForeignKeyViolation(error: unknown): boolean {
  return (
    (error as { code?: string } | null)?.code === '23503' ||
    (error as { driverError?: { code?: string } })?.driverError?.code === '23503'
  );
}
