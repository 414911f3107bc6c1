import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dashboard analytics.
 *
 * `score_number(value)`: the one reading of a stored score value as a number. Values are strings and
 * rows written by older code, by hand or by another tool can hold anything, so a plain cast
 * (`value::float8`) would turn one odd row into an error for the whole project. This returns the
 * value as numeric when it is a plain decimal in [0, 1] (rounded to 15 places so every aggregate fits
 * a double) and NULL otherwise. Being IMMUTABLE and a single expression, PostgreSQL inlines it.
 */
export class Analytics1764000003000 implements MigrationInterface {
  name = 'Analytics1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION score_number(v text) RETURNS numeric
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN v ~ '^\\s*[+-]?([0-9]{1,100}(\\.[0-9]{0,100})?|\\.[0-9]{1,100})([eE][+-]?[0-9]{1,3})?\\s*$'
          THEN CASE WHEN v::numeric BETWEEN 0 AND 1 THEN round(v::numeric, 15) END
        END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS score_number(text)`);
  }
}
