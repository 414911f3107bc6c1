import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A project's own LLM-judged metrics. `custom_metrics` holds the name (unique in the project, kept
 * after a delete so a re-created metric continues its version numbers and old scores never match a
 * new definition) and the description; every change to what the judge sees or answers is a new,
 * immutable row of `custom_metric_versions`.
 */
export class CustomMetrics1764000030000 implements MigrationInterface {
  name = 'CustomMetrics1764000030000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE custom_metrics (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name varchar(64) NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
        description text NOT NULL DEFAULT '',
        latest_version integer NOT NULL CHECK (latest_version > 0),
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_custom_metrics_project_name UNIQUE (project_id, name)
      )`);
    await q.query(`
      CREATE TABLE custom_metric_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        metric_id uuid NOT NULL REFERENCES custom_metrics(id) ON DELETE CASCADE,
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version > 0),
        prompt_template text NOT NULL,
        output_type varchar(20) NOT NULL CHECK (output_type IN ('NUMERIC', 'BOOLEAN', 'CATEGORICAL')),
        labels text[],
        success_labels text[],
        threshold double precision CHECK (threshold >= 0 AND threshold <= 1),
        model varchar(255),
        examples jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_custom_metric_versions UNIQUE (metric_id, version)
      )`);
    await q.query(`CREATE INDEX ix_custom_metric_versions_project ON custom_metric_versions (project_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE custom_metric_versions`);
    await q.query(`DROP TABLE custom_metrics`);
  }
}
