import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { judgeCutChars, reviveCut } from './cut-text';

/**
 * The traces module's port for the judge's side (eval-run workers): traces with their spans,
 * rendered as the judge sees them. Only this module's SQL names `traces` and `spans`; a worker asks
 * here for "these traces (or these sessions' traces) of this project, rendered for judging".
 */

/**
 * What the judge sees of a span. Loaded for judging, a string of `input` or `output` longer than
 * `judgeCutChars(JUDGE_RENDER_FIELD_CHARS)` characters is a CutString (its head, length and digest):
 * the rendering gives the same text from it as from the whole string.
 */
export interface SpanView {
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  status: string;
  input: unknown;
  output: unknown;
  model: string | null;
  error: string | null;
  metadata: Record<string, unknown>;
  started_at: string;
  ended_at: string | null;
  token_usage: Record<string, unknown> | null;
}

/** What the judge sees of a trace: its fields and its spans, oldest first. */
export interface TraceView {
  trace_id: string;
  name: string;
  status: string;
  input: unknown;
  output: unknown;
  metadata: Record<string, unknown>;
  session_id: string | null;
  user_id: string | null;
  tags: string[];
  environment: string | null;
  started_at: string;
  ended_at: string | null;
  spans: SpanView[];
}

/** A row as read: the view's columns before rendering (dates, nulls), with its trace for a span. */
type Row<V> = Omit<V, 'metadata' | 'tags' | 'started_at' | 'ended_at' | 'spans'> & {
  metadata: Record<string, unknown> | null;
  started_at: Date;
  ended_at: Date | null;
};
type TraceRow = Row<TraceView> & { tags: string[] | null };
type SpanRow = Row<SpanView> & { trace_id: string; input_cut: unknown; output_cut: unknown };

const TRACE_COLUMNS = `trace_id, name, status, input, output, metadata, session_id, user_id, tags, environment, started_at, ended_at`;
/**
 * Hand-written: one statement loads every span of a batch of traces, in the order the judge reads
 * them. `input` and `output` come whole when they hold no string longer than $2 characters, else as
 * `input_cut` / `output_cut` (`judge_cut`: those strings cut to $2 characters, with their length
 * and digest), so a batch holds at most ~$2 characters per string whatever the traces weigh.
 * (`OFFSET 0` keeps the lateral subquery from being inlined, which would call `judge_cut` twice.)
 */
const SPANS_OF_TRACES = `SELECT s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.status,
              CASE WHEN c.i IS NULL THEN s.input END AS input, c.i AS input_cut,
              CASE WHEN c.o IS NULL THEN s.output END AS output, c.o AS output_cut,
              s.model, s.error, s.metadata, s.started_at, s.ended_at, s.token_usage
       FROM spans s CROSS JOIN LATERAL (SELECT judge_cut(s.input, $2) AS i, judge_cut(s.output, $2) AS o OFFSET 0) c
      WHERE s.trace_id = ANY($1::uuid[]) ORDER BY s.trace_id, s.started_at, s.span_id`;

/** One earlier turn of a session, as a template's `{{session_history}}` shows it. */
export interface SessionTurn {
  input: unknown;
  output: unknown;
  started_at: string;
}

/**
 * Hand-written: for each of a batch of traces ($2) of the project, its session's traces that started
 * before it (the preview's `started_before`), newest `$3` of them, oldest first in the answer. A
 * value longer than $4 characters comes back as its first $4 (a string), so the answer stays bounded
 * (turns × batch × 2 × $4); the rendering cuts far shorter anyway.
 */
const EARLIER_TURNS = `SELECT t.trace_id AS for_trace, h.started_at,
         CASE WHEN length(h.input::text) <= $4 THEN h.input
              WHEN jsonb_typeof(h.input) = 'string' THEN to_jsonb(left(h.input #>> '{}', $4))
              ELSE to_jsonb(left(h.input::text, $4)) END AS input,
         CASE WHEN length(h.output::text) <= $4 THEN h.output
              WHEN jsonb_typeof(h.output) = 'string' THEN to_jsonb(left(h.output #>> '{}', $4))
              ELSE to_jsonb(left(h.output::text, $4)) END AS output
       FROM traces t
       CROSS JOIN LATERAL (
         SELECT e.trace_id, e.input, e.output, e.started_at FROM traces e
          WHERE e.project_id = t.project_id AND e.session_id = t.session_id
            AND e.started_at < t.started_at AND e.trace_id <> t.trace_id
          ORDER BY e.started_at DESC, e.trace_id DESC LIMIT $3) h
      WHERE t.project_id = $1 AND t.trace_id = ANY($2::uuid[]) AND t.session_id IS NOT NULL
      ORDER BY t.trace_id, h.started_at, h.trace_id`;

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

@Injectable()
export class TracesForJudging {
  /** Characters of a span's string loaded for judging (SPANS_OF_TRACES' $2). */
  private readonly cutChars: number;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.cutChars = judgeCutChars(config.judge.render.fieldChars);
  }

  /** The project's traces among `traceIds`, oldest first, with their spans: two statements. */
  byIds(projectId: string, traceIds: string[]): Promise<TraceView[]> {
    return this.load(`project_id = $1 AND trace_id = ANY($2::uuid[])`, [projectId, traceIds]);
  }

  /** Every trace of the given sessions in the project, oldest first, with their spans: two statements. */
  bySessions(projectId: string, sessionIds: string[]): Promise<TraceView[]> {
    return this.load(`project_id = $1 AND session_id = ANY($2::varchar[])`, [projectId, sessionIds]);
  }

  /**
   * For each of `traceIds` in a session of the project, the newest `turns` traces of that session that
   * started before it, oldest first (input, output, start; values capped at `maxChars`): one statement.
   * Traces without a session, or the first of theirs, are absent.
   */
  async earlierTurns(
    projectId: string,
    traceIds: string[],
    turns: number,
    maxChars: number,
  ): Promise<Map<string, SessionTurn[]>> {
    const out = new Map<string, SessionTurn[]>();
    if (traceIds.length === 0 || turns <= 0) return out;
    const rows: Array<{ for_trace: string; input: unknown; output: unknown; started_at: Date }> = await this.ds.query(
      EARLIER_TURNS,
      [projectId, traceIds, turns, maxChars],
    );
    for (const r of rows) {
      if (!out.has(r.for_trace)) out.set(r.for_trace, []);
      out.get(r.for_trace)!.push({ input: r.input, output: r.output, started_at: iso(r.started_at)! });
    }
    return out;
  }

  /**
   * What each of `traceIds` weighs (traces.size_bytes: its own values and its spans' as JSON), the
   * most its loading can hold; the worker's claims stay within a byte budget with it. One statement.
   */
  async bytesOfTraces(projectId: string, traceIds: string[]): Promise<Map<string, number>> {
    const rows: { id: string; bytes: number }[] = await this.ds.query(
      `SELECT trace_id AS id, size_bytes::float8 AS bytes FROM traces WHERE project_id = $1 AND trace_id = ANY($2::uuid[])`,
      [projectId, traceIds],
    );
    return new Map(rows.map((r) => [r.id, r.bytes]));
  }

  /** What each of `sessionIds` weighs: the size_bytes of all its traces (what bySessions loads). */
  async bytesOfSessions(projectId: string, sessionIds: string[]): Promise<Map<string, number>> {
    const rows: { id: string; bytes: number }[] = await this.ds.query(
      `SELECT session_id AS id, sum(size_bytes)::float8 AS bytes FROM traces
        WHERE project_id = $1 AND session_id = ANY($2::varchar[]) GROUP BY session_id`,
      [projectId, sessionIds],
    );
    return new Map(rows.map((r) => [r.id, r.bytes]));
  }

  /**
   * Each of `traceIds`' environment, for items failed without being loaded (abandoned): a trace
   * gone from the project is absent. One statement, no values read.
   */
  async environmentsOf(projectId: string, traceIds: string[]): Promise<Map<string, string | null>> {
    const rows: { id: string; environment: string | null }[] = await this.ds.query(
      `SELECT trace_id AS id, environment FROM traces WHERE project_id = $1 AND trace_id = ANY($2::uuid[])`,
      [projectId, traceIds],
    );
    return new Map(rows.map((r) => [r.id, r.environment]));
  }

  /**
   * Each of `sessionIds`' environment (its oldest trace's, as bySessions orders them), for sessions
   * failed without being loaded: a session with no trace left is absent. One statement.
   */
  async sessionEnvironmentsOf(projectId: string, sessionIds: string[]): Promise<Map<string, string | null>> {
    const rows: { id: string; environment: string | null }[] = await this.ds.query(
      `SELECT DISTINCT ON (session_id) session_id AS id, environment FROM traces
        WHERE project_id = $1 AND session_id = ANY($2::varchar[]) ORDER BY session_id, started_at, trace_id`,
      [projectId, sessionIds],
    );
    return new Map(rows.map((r) => [r.id, r.environment]));
  }

  /** Which of `traceIds` are still traces of the project, read in `m`'s transaction. */
  async stillInProject(m: EntityManager, projectId: string, traceIds: string[]): Promise<Set<string>> {
    const rows: { trace_id: string }[] = await m.query(
      `SELECT trace_id FROM traces WHERE project_id = $1 AND trace_id = ANY($2::uuid[])`,
      [projectId, traceIds],
    );
    return new Set(rows.map((r) => r.trace_id));
  }

  private async load(where: string, params: unknown[]): Promise<TraceView[]> {
    const traceRows: TraceRow[] = await this.ds.query(
      `SELECT ${TRACE_COLUMNS} FROM traces WHERE ${where} ORDER BY started_at, trace_id`,
      params,
    );
    const traces = new Map<string, TraceView>();
    for (const t of traceRows) {
      traces.set(t.trace_id, {
        ...t,
        metadata: t.metadata ?? {},
        tags: t.tags ?? [],
        started_at: iso(t.started_at)!,
        ended_at: iso(t.ended_at),
        spans: [],
      });
    }
    if (traces.size === 0) return [];
    const spanRows: SpanRow[] = await this.ds.query(SPANS_OF_TRACES, [[...traces.keys()], this.cutChars]);
    for (const { trace_id, input_cut, output_cut, ...s } of spanRows) {
      traces.get(trace_id)?.spans.push({
        ...s,
        input: input_cut == null ? s.input : reviveCut(input_cut),
        output: output_cut == null ? s.output : reviveCut(output_cut),
        metadata: s.metadata ?? {},
        started_at: iso(s.started_at)!,
        ended_at: iso(s.ended_at),
      });
    }
    return [...traces.values()];
  }
}
