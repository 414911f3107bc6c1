import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import * as ts from 'typescript';
import { sourceFiles } from './import-graph';

/**
 * Which module owns each table: only the owner's SQL names it. Others go through a port the owner
 * exports (a service or repository method), so a table's shape can change in one module.
 */
export const TABLE_OWNERS: Record<string, string> = {
  organizations: 'auth',
  projects: 'auth',
  users: 'auth',
  memberships: 'auth',
  api_keys: 'auth',
  invitations: 'auth',
  traces: 'traces',
  spans: 'traces',
  trace_rollups: 'analytics',
  model_rollups: 'analytics',
  latency_rollups: 'analytics',
  latency_hour_rollups: 'analytics',
  latency_day_rollups: 'analytics',
  latency_hour_percentiles: 'analytics',
  rollup_dirty: 'analytics',
  trace_scores: 'scores',
  session_scores: 'scores',
  score_rollups: 'scores',
  score_value_rollups: 'scores',
  score_rollup_dirty: 'scores',
  judge_transcripts: 'scores',
  judge_transcript_blobs: 'scores',
  judge_transcript_settings: 'scores',
  eval_runs: 'eval-runs',
  eval_run_items: 'eval-runs',
  eval_run_pending_items: 'eval-runs',
  eval_monitors: 'monitors',
  custom_metrics: 'custom-metrics',
  custom_metric_versions: 'custom-metrics',
};

/** The text of every string and template literal of a file (SQL lives there, comments do not count). */
function literalTexts(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
    else if (ts.isTemplateExpression(node)) {
      out.push(node.head.text);
      for (const span of node.templateSpans) out.push(span.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const TABLE_REFERENCE = /\b(?:from|join|into|update|table)\s+([a-z_][a-z0-9_]*)/gi;

export interface TableUse {
  module: string;
  table: string;
  owner: string;
  file: string;
}

/** Every place where a module's SQL names a table another module owns. */
export function foreignTableUses(root: string): TableUse[] {
  const uses = new Map<string, TableUse>();
  for (const file of sourceFiles(`${root}/modules`)) {
    const module = relative(`${root}/modules`, file).split('/')[0];
    for (const text of literalTexts(file)) {
      for (const match of text.matchAll(TABLE_REFERENCE)) {
        const table = match[1].toLowerCase();
        const owner = TABLE_OWNERS[table];
        if (owner && owner !== module) {
          const use = { module, table, owner, file: relative(root, file) };
          uses.set(`${use.file} ${table}`, use);
        }
      }
    }
  }
  return [...uses.values()].sort((a, b) => `${a.file} ${a.table}`.localeCompare(`${b.file} ${b.table}`));
}
