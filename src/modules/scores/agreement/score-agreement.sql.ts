/**
 * Agreement of judge scores with human annotations. Hand-written SQL because it pairs each trace's
 * latest judge score with its latest annotation (DISTINCT ON) and ranks values with window functions
 * for Spearman's ρ, which the query builder cannot say; everything is aggregated in PostgreSQL, so
 * no score row reaches the application. Both sides are read through ix_trace_scores_analytics.
 *
 * Parameters of every statement: $1 project, $2 metric name, $3 eval run id or NULL, $4 threshold,
 * $5 metric version or NULL (the judge scores' metadata.metric_version).
 */
const latest = (source: 'AUTOMATED' | 'ANNOTATION', runFilter: string) => `
  SELECT DISTINCT ON (s.trace_id) s.trace_id, s.id, s.data_type, s.value, s.value_number
  FROM trace_scores s
  WHERE s.project_id = $1::uuid AND s.name = $2::text AND s.source = '${source}' AND s.status = 'SUCCESS'${runFilter}
  ORDER BY s.trace_id, s.created_at DESC, s.id DESC`;

/** A value's label: pass/fail at the threshold for NUMERIC, else the stored value itself. */
const label = (type: string, value: string, num: string) =>
  `CASE WHEN ${type} = 'NUMERIC' THEN CASE WHEN ${num} >= $4::float8 THEN 'pass' ELSE 'fail' END ELSE ${value} END`;

const PAIRS = `
  WITH judge AS (${latest(
    'AUTOMATED',
    " AND ($3::uuid IS NULL OR s.eval_run_id = $3::uuid) AND ($5::text IS NULL OR (s.metadata ? 'metric_version' AND s.metadata->>'metric_version' = $5::text))",
  )}),
       human AS (${latest('ANNOTATION', '')}),
       pairs AS (
         SELECT j.trace_id, j.id AS judge_score_id, h.id AS human_score_id,
                j.data_type AS judge_type, h.data_type AS human_type,
                j.value AS judge_value, h.value AS human_value,
                j.value_number AS judge_number, h.value_number AS human_number,
                ${label('j.data_type', 'j.value', 'j.value_number')} AS judge_label,
                ${label('h.data_type', 'h.value', 'h.value_number')} AS human_label
         FROM judge j JOIN human h USING (trace_id)
         -- A NUMERIC value outside [0, 1] has no number and cannot be labelled: left out.
         WHERE (j.data_type <> 'NUMERIC' OR j.value_number IS NOT NULL)
           AND (h.data_type <> 'NUMERIC' OR h.value_number IS NOT NULL))`;

/** Most cells a confusion matrix may have; more means labels that are not categories (free text). */
export const MAX_CONFUSION_CELLS = 10_000;

/** Counts per (judge type, human type, judge label, human label), at most MAX_CONFUSION_CELLS + 1 rows. */
export const AGREEMENT_CELLS = `${PAIRS}
  SELECT judge_type, human_type, judge_label AS judge, human_label AS human, count(*)::int AS count
  FROM pairs GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  LIMIT ${MAX_CONFUSION_CELLS + 1}`;

/** NUMERIC pairs: mean absolute error and Spearman's ρ (Pearson's r of average ranks). */
export const AGREEMENT_NUMERIC = `${PAIRS}
  SELECT avg(abs(judge_number - human_number))::float8 AS mae, corr(rj, rh)::float8 AS rho
  FROM (SELECT judge_number, human_number,
               rank() OVER (ORDER BY judge_number) + (count(*) OVER (PARTITION BY judge_number) - 1) / 2.0 AS rj,
               rank() OVER (ORDER BY human_number) + (count(*) OVER (PARTITION BY human_number) - 1) / 2.0 AS rh
        FROM pairs WHERE judge_type = 'NUMERIC' AND human_type = 'NUMERIC') r`;

/**
 * $6 data type, $7 limit, $8 offset: the pairs of that type whose labels differ, the widest NUMERIC
 * gaps first, then by trace id.
 */
export const AGREEMENT_DISAGREEMENTS = `${PAIRS}
  SELECT trace_id, judge_score_id, human_score_id, judge_value, human_value, judge_label, human_label
  FROM pairs
  WHERE judge_type = $6::text AND human_type = $6::text AND judge_label <> human_label
  ORDER BY abs(judge_number - human_number) DESC NULLS LAST, trace_id
  LIMIT $7::int OFFSET $8::int`;
