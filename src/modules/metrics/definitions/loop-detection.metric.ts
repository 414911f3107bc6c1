import { builtInMetric, clamp01, cosineSimilarity, plainText, round4, scored } from '../metric-definition';

/** How many previous session outputs the current output is compared with. */
export const LOOP_WINDOW = 3;

// Common English function words, left out of the token sets (our own list).
const STOP_WORDS = new Set(
  (
    'a an the and or but nor so yet if then else than as of in on at to for from by with about into onto over under ' +
    'is are was were be been being am do does did done have has had having will would shall should can could may might must ' +
    'it its this that these those there here what which who whom whose when where why how ' +
    'all any each every some such no not only same too very more most other own just also'
  ).split(/\s+/),
);

/** Lowercase word tokens, without stop words and one-character tokens. */
export function contentTokens(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/\w+/g) ?? []).filter((t) => t.length > 1 && !STOP_WORDS.has(t)));
}

/** Jaccard similarity of two token sets; 0 when both are empty. */
export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let common = 0;
  for (const t of a) if (b.has(t)) common++;
  return common / (a.size + b.size - common);
}

/**
 * A session signal, not offered as a trace metric (hidden from /trace-metrics, refused by trace
 * runs): compares the trace's output with the outputs of the previous traces of its session
 * (embedding cosine × token Jaccard). Session runs pass those traces (EvaluateTraceOptions.sessionTraces).
 */
export const loopDetectionMetric = builtInMetric('loop_detection', {
  description: 'Flags an agent that keeps giving the same answer across the traces of a session.',
  listed: false,
  usesEmbeddings: true,
  previewPrompts: () => [],
  async evaluate(ctx) {
    if (!ctx.sessionOutputs) {
      return {
        score: 1,
        reason: 'No session context provided; looping cannot be assessed.',
        metadata: { note: 'no session context provided' },
      };
    }
    const current = plainText(ctx.trace.output);
    if (!current) {
      return { score: 1, reason: 'Empty output; looping cannot be assessed.', metadata: { note: 'empty_output' } };
    }
    const previous = ctx.sessionOutputs.slice(-LOOP_WINDOW).map(plainText).filter(Boolean);
    if (previous.length === 0) {
      return { score: 1, reason: 'No previous outputs to compare.', metadata: { note: 'no_previous_outputs' } };
    }
    const [mine, ...theirs] = await ctx.embed([current, ...previous]);
    const myTokens = contentTokens(current);
    const comparisons = theirs.map((vec, i) => {
      const cos = clamp01(cosineSimilarity(mine, vec));
      const jac = jaccard(myTokens, contentTokens(previous[i]));
      return {
        trace_index: i,
        cosine_similarity: round4(cos),
        jaccard_similarity: round4(jac),
        hybrid_score: round4(cos * jac),
      };
    });
    const maxHybrid = Math.max(...comparisons.map((c) => c.hybrid_score));
    const score = round4(clamp01(1 - maxHybrid));
    return scored(score, `Max hybrid repetition score: ${maxHybrid.toFixed(4)}`, ctx.threshold, {
      window_size: LOOP_WINDOW,
      max_hybrid: maxHybrid,
      comparisons,
    });
  },
});
