import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * The operations under `/evaluations` grouped by what they are, in Swagger UI's order. Controllers
 * tag them `evaluations` or `scores` (the original's routers); one tag per kind of object reads better.
 */
const BROAD_TAGS = new Set(['evaluations', 'scores']);
const EVALUATION_TAGS: { prefix: string; name: string; description: string }[] = [
  { prefix: '/evaluations/trace-runs', name: 'trace runs', description: 'Evaluate traces with LLM-judged metrics.' },
  { prefix: '/evaluations/session-runs', name: 'session runs', description: 'Evaluate sessions (conversations).' },
  { prefix: '/evaluations/monitors', name: 'monitors', description: 'Scheduled runs over new traces or sessions.' },
  { prefix: '/evaluations/trace-scores', name: 'trace scores', description: 'Scores of traces: judged or posted.' },
  { prefix: '/evaluations/session-scores', name: 'session scores', description: 'Scores of sessions.' },
  { prefix: '/evaluations/analytics', name: 'score analytics', description: 'Score trends, distributions.' },
  { prefix: '/evaluations/providers', name: 'judge providers', description: 'Which LLM providers are usable.' },
  { prefix: '/evaluations/trace-metrics', name: 'metrics', description: 'The metrics a run can ask for.' },
  { prefix: '/evaluations/session-metrics', name: 'metrics', description: 'The metrics a run can ask for.' },
];

export function applyTags(document: OpenAPIObject): OpenAPIObject {
  const used = new Map<string, string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item) as { tags?: string[] }[]) {
      if (!operation?.tags?.some((t) => BROAD_TAGS.has(t))) continue;
      const tag = EVALUATION_TAGS.find((t) => path === t.prefix || path.startsWith(`${t.prefix}/`));
      if (!tag) continue;
      operation.tags = [...new Set(operation.tags.map((t) => (BROAD_TAGS.has(t) ? tag.name : t)))];
      used.set(tag.name, tag.description);
    }
  }
  document.tags = [...(document.tags ?? []), ...[...used].map(([name, description]) => ({ name, description }))];
  return document;
}
