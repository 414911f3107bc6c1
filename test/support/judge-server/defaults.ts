/**
 * Sensible default answers for every judge stage, so a whole eval run works without scripting.
 * Keys are `metric.stage`, as the metrics put them in their prompts.
 */
export const DEFAULT_ANSWERS: Record<string, Record<string, unknown>> = {
  'task_completion.extract': {
    task: 'Answer the user question.',
    outcome: 'The agent looked up the information and replied to the user.',
  },
  'task_completion.score': { verdict: 0.8, reason: 'The reply addresses the request; minor details are missing.' },
  'tool_correctness.extract': {
    user_input: 'Answer the user question.',
    tools_called: [{ name: 'search', parameters: '{"query":"question"}' }],
    available_tools: [{ name: 'search', description: 'Searches a knowledge base.' }],
  },
  'tool_correctness.score': { score: 0.9, reason: 'The tools chosen fit the task.' },
  'argument_correctness.extract': {
    user_input: 'Answer the user question.',
    tool_calls: [{ name: 'search', parameters: '{"query":"question"}', reasoning: 'Look up the answer.' }],
  },
  'argument_correctness.verdicts': { verdicts: [{ verdict: 'yes', reason: null }] },
  'argument_correctness.reason': { reason: 'Every tool call used arguments that match the request.' },
  'step_efficiency.extract_task': { task: 'Get an answer to my question.' },
  'step_efficiency.score': { score: 0.75, reason: 'One redundant lookup; otherwise direct.' },
  'plan_adherence.extract_plan': { plan: ['Search for the answer', 'Reply to the user'] },
  'plan_adherence.score': { score: 0.75, reason: 'Both steps were executed, with one extra action.' },
  'plan_quality.score': { score: 0.75, reason: 'The plan is sound but thin on detail.' },
  'confidence.evaluate': { confidence: 0.85, reason: 'The agent acted decisively without hedging.' },
};

const MARKER = /<<([^<>\n]{1,64})>>/;

/**
 * A custom metric's judge (stage `<name>.judge`) learns its answer from the prompt: the first
 * `<<value>>` marker in it (put one in a trace's input or output) is the verdict (`<<false>>`), the
 * label (`<<refund>>`, when it is one of the schema's labels) or the score (`<<0.25>>`). Without a
 * marker: true, the first label, 0.5. Null for any other stage.
 */
export function customJudgeAnswer(stage: string, prompt: string, schema: any): Record<string, unknown> | null {
  if (!stage.endsWith('.judge')) return null;
  const marker = MARKER.exec(prompt)?.[1]?.trim();
  const props = schema?.properties ?? {};
  const reason = marker ? `The prompt says ${marker}.` : 'No marker in the prompt: the default answer.';
  if (props.verdict) return { verdict: marker ? marker !== 'false' : true, reason };
  if (props.label) {
    const labels: string[] = props.label.enum ?? [];
    return { label: marker && labels.includes(marker) ? marker : (labels[0] ?? marker ?? 'unknown'), reason };
  }
  if (props.score) {
    const n = Number(marker);
    return { score: marker !== undefined && Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0.5, reason };
  }
  return null;
}

/** Builds a plausible value for a JSON Schema (for stages with no scripted or default answer). */
export function synthesizeFromSchema(schema: any): Record<string, unknown> {
  const value = synth(schema, 0);
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
}

function synth(schema: any, depth: number): unknown {
  if (!schema || depth > 6) return null;
  if (Array.isArray(schema.anyOf))
    return synth(schema.anyOf.find((s: any) => s.type !== 'null') ?? schema.anyOf[0], depth + 1);
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = synth(v, depth + 1);
      return out;
    }
    case 'array':
      return [synth(schema.items, depth + 1)];
    case 'number':
    case 'integer':
      return typeof schema.maximum === 'number' ? Math.min(schema.maximum, 0.5) : 0.5;
    case 'boolean':
      return true;
    case 'string':
      return 'sample';
    default:
      return null;
  }
}
