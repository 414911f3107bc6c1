import { createHash } from 'node:crypto';
import { JUDGE_SYSTEM_PROMPT } from '../judge/judge-prompt';
import type { MetricDefinition } from './metric-definition';

/**
 * A built-in metric's version: the first 12 hex digits of a SHA-256 over what decides its judging
 * (the system prompt, every stage prompt with placeholders for the trace and earlier answers, the
 * default threshold). Stable across processes and restarts; any change to our prompts gives a new
 * version, recorded on every score (`metadata.metric_version`), so old and new scores never mix
 * unseen. Signals computed without a judge prompt (loop_detection) hash their name and threshold.
 */
export function builtinMetricVersion(def: MetricDefinition): string {
  const prompts = def.previewPrompts({ rendered: '<trace>', taskContext: '<task_context>' });
  const basis = JSON.stringify({
    system: JUDGE_SYSTEM_PROMPT,
    name: def.name,
    threshold: def.defaultThreshold,
    embeddings: def.usesEmbeddings ?? false,
    prompts,
  });
  return createHash('sha256').update(basis).digest('hex').slice(0, 12);
}
