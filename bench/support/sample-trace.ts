/** The trace the ingestion and memory benches send: what an SDK sends for one agent turn. */
import { randomUUID } from 'node:crypto';

const KINDS = ['AGENT', 'LLM', 'TOOL'] as const;

/** An AGENT root, then LLM and TOOL children with usage and cost; `spanCount` spans in all. */
export function makeTrace(spanCount: number, tags: string[]): Record<string, unknown> {
  const start = Date.now() - 5000;
  const iso = (ms: number) => new Date(start + ms).toISOString();
  const rootId = randomUUID();
  const spans = Array.from({ length: spanCount }, (_, i) => {
    const kind = i === 0 ? 'AGENT' : KINDS[1 + (i % 2)];
    const llm = kind === 'LLM';
    return {
      span_id: i === 0 ? rootId : randomUUID(),
      parent_span_id: i === 0 ? undefined : rootId,
      name: `${kind.toLowerCase()}-${i}`,
      kind,
      status: 'OK',
      input: llm
        ? { messages: [{ role: 'user', content: `Question number ${i}: what is the status of order 1234?` }] }
        : { query: `lookup ${i}` },
      output: llm
        ? { messages: [{ role: 'assistant', content: 'The order shipped yesterday and arrives tomorrow.' }] }
        : { rows: i },
      model: llm ? 'gpt-4o-mini' : undefined,
      token_usage: llm ? { prompt_tokens: 120 + i, completion_tokens: 30, total_tokens: 150 + i } : undefined,
      cost: llm ? { input: 0.00018, output: 0.00009, total: 0.00027 } : undefined,
      started_at: iso(i * 100),
      ended_at: iso(i * 100 + 90),
      completion_start_time: llm ? iso(i * 100 + 20) : undefined,
      model_parameters: llm ? { temperature: 0 } : undefined,
    };
  });
  return {
    trace_id: randomUUID(),
    name: 'support-agent',
    status: 'COMPLETED',
    input: { messages: [{ role: 'user', content: 'What is the status of order 1234?' }] },
    output: { messages: [{ role: 'assistant', content: 'It shipped yesterday.' }] },
    metadata: { sdk: 'bench' },
    started_at: iso(0),
    ended_at: iso(spanCount * 100),
    session_id: `session-${Math.floor(Math.random() * 1000)}`,
    user_id: `user-${Math.floor(Math.random() * 100)}`,
    tags,
    environment: 'bench',
    release: 'v1',
    spans,
  };
}
