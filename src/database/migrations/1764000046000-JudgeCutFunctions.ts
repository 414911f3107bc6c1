import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Functions the worker loads span values through (`TracesForJudging`), so a claimed batch never
 * holds a span's long strings whole (docs/performance.md, "Fourth pass: span values cut …").
 *
 * `judge_cut(v, k)`: NULL when `v` (its text) is at most `k` bytes or holds no string longer than `k`
 * characters; else `v` with every string longer than `k` characters replaced by a marker
 * `{"\u0001cut": its first k characters, "n": the length of its JSON text in UTF-16 units (what
 * JavaScript's JSON.stringify gives), "h": md5 of its UTF-8 bytes}`. Objects that hold either key
 * `\u0001cut` or `\u0001obj` are wrapped as `{"\u0001obj": …}`, so a marker is never ambiguous.
 * What the renderer reads whole stays whole: the values under `tool_calls` and `function_call`, and
 * objects whose `type` is `tool_use` or `tool-call` (the tool calls it lists, `findToolCalls`).
 */
export class JudgeCutFunctions1764000046000 implements MigrationInterface {
  name = 'JudgeCutFunctions1764000046000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION judge_text_json_length(s text) RETURNS bigint
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
        SELECT char_length(s)::bigint
             + (char_length(s) - char_length(regexp_replace(s, '[\\U00010000-\\U0010FFFF]', '', 'g')))
             + (char_length(s) - char_length(translate(s, E'"\\\\\\b\\f\\n\\r\\t', '')))
             + 5 * (char_length(s) - char_length(regexp_replace(s, E'[\\\\x01-\\\\x07\\\\x0b\\\\x0e-\\\\x1f]', '', 'g')))
             + 2
      $fn$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION judge_cut_walk(v jsonb, k integer) RETURNS jsonb
      LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
      DECLARE
        s text;
        w jsonb;
      BEGIN
        CASE jsonb_typeof(v)
          WHEN 'string' THEN
            s := v #>> '{}';
            IF char_length(s) <= k THEN RETURN v; END IF;
            RETURN jsonb_build_object(E'\\u0001cut', left(s, k), 'n', judge_text_json_length(s), 'h', md5(s));
          WHEN 'array' THEN
            RETURN COALESCE((SELECT jsonb_agg(judge_cut_walk(e.value, k) ORDER BY e.i)
                               FROM jsonb_array_elements(v) WITH ORDINALITY AS e(value, i)), '[]'::jsonb);
          WHEN 'object' THEN
            IF v->>'type' IN ('tool_use', 'tool-call') THEN RETURN v; END IF;
            w := COALESCE((SELECT jsonb_object_agg(e.key, CASE WHEN e.key IN ('tool_calls', 'function_call') THEN e.value
                                                                ELSE judge_cut_walk(e.value, k) END)
                             FROM jsonb_each(v) AS e), '{}'::jsonb);
            IF v ? E'\\u0001cut' OR v ? E'\\u0001obj' THEN RETURN jsonb_build_object(E'\\u0001obj', w); END IF;
            RETURN w;
          ELSE
            RETURN v;
        END CASE;
      END
      $fn$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION judge_cut(v jsonb, k integer) RETURNS jsonb
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
      DECLARE
        w jsonb;
      BEGIN
        IF v IS NULL OR octet_length(v::text) <= k THEN RETURN NULL; END IF;
        w := judge_cut_walk(v, k);
        IF w = v THEN RETURN NULL; END IF;
        RETURN w;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS judge_cut(jsonb, integer)`);
    await q.query(`DROP FUNCTION IF EXISTS judge_cut_walk(jsonb, integer)`);
    await q.query(`DROP FUNCTION IF EXISTS judge_text_json_length(text)`);
  }
}
