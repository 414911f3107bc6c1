import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Traces and their spans. Trace ids are global (a trace id owned by another project is a conflict);
 * span ids are scoped to their trace (primary key (trace_id, span_id)). Per-trace aggregates live on
 * the trace row and are maintained by every write path, so lists never aggregate spans.
 */
export class Traces1764000001000 implements MigrationInterface {
  name = 'Traces1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`
      CREATE TABLE traces (
        trace_id uuid PRIMARY KEY,
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name varchar(512) NOT NULL CHECK (name <> ''),
        status varchar(20) NOT NULL DEFAULT 'COMPLETED'
          CONSTRAINT ck_traces_status CHECK (status IN ('PENDING', 'RUNNING', 'COMPLETED', 'ERROR')),
        input jsonb,
        output jsonb,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb CONSTRAINT ck_traces_metadata CHECK (jsonb_typeof(metadata) = 'object'),
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        session_id varchar(255),
        user_id varchar(255),
        tags text[] NOT NULL DEFAULT '{}',
        environment varchar(255),
        release varchar(255),
        latency_ms double precision GENERATED ALWAYS AS (EXTRACT(EPOCH FROM (ended_at - started_at)) * 1000) STORED,
        span_count integer NOT NULL DEFAULT 0,
        total_tokens bigint NOT NULL DEFAULT 0,
        total_cost double precision NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The default list order (started_at desc, trace_id desc) and the date-range filter.
    await q.query(`CREATE INDEX ix_traces_project_started ON traces (project_id, started_at, trace_id)`);
    await q.query(`CREATE INDEX ix_traces_project_status ON traces (project_id, status)`);
    await q.query(`CREATE INDEX ix_traces_project_session ON traces (project_id, session_id)`);
    await q.query(`CREATE INDEX ix_traces_project_user ON traces (project_id, user_id)`);
    await q.query(`CREATE INDEX ix_traces_project_environment ON traces (project_id, environment)`);
    await q.query(`CREATE INDEX ix_traces_project_release ON traces (project_id, release)`);
    await q.query(`CREATE INDEX ix_traces_tags ON traces USING gin (tags)`);
    await q.query(`CREATE INDEX ix_traces_name_trgm ON traces USING gin (name gin_trgm_ops)`);

    await q.query(`
      CREATE TABLE spans (
        trace_id uuid NOT NULL REFERENCES traces(trace_id) ON DELETE CASCADE,
        span_id uuid NOT NULL,
        parent_span_id uuid,
        name varchar(512) NOT NULL CHECK (name <> ''),
        kind varchar(20) NOT NULL DEFAULT 'OTHER'
          CONSTRAINT ck_spans_kind CHECK (kind IN ('AGENT', 'TOOL', 'LLM', 'RETRIEVER', 'CHAIN', 'EMBEDDING', 'OTHER')),
        status varchar(20) NOT NULL DEFAULT 'UNSET' CONSTRAINT ck_spans_status CHECK (status IN ('UNSET', 'OK', 'ERROR')),
        input jsonb,
        output jsonb,
        model varchar(255),
        token_usage jsonb,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb CONSTRAINT ck_spans_metadata CHECK (jsonb_typeof(metadata) = 'object'),
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        error text,
        completion_start_time timestamptz,
        model_parameters jsonb,
        cost jsonb,
        CONSTRAINT pk_spans PRIMARY KEY (trace_id, span_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS spans`);
    await q.query(`DROP TABLE IF EXISTS traces`);
  }
}
