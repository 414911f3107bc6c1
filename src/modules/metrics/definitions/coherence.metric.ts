import { builtInMetric, clamp01, cosineGap, plainText, round4, scored } from '../metric-definition';

export const EMPTY_COHERENCE_REASON = 'The input or the output is empty, so coherence is assumed.';

/** Embeddings only, no chat call: score = 1 − cosine distance between input and output. */
export const coherenceMetric = builtInMetric('coherence', {
  description: "Measures how closely the agent's output relates to its input, by embedding similarity.",
  usesEmbeddings: true,
  previewPrompts: () => [],
  async evaluate(ctx) {
    const input = plainText(ctx.trace.input);
    const output = plainText(ctx.trace.output);
    if (!input || !output) {
      return {
        score: 1,
        reason: EMPTY_COHERENCE_REASON,
        metadata: { coherence_gap: 0, note: 'empty_input_or_output' },
      };
    }
    const [a, b] = await ctx.embed([input, output]);
    const gap = round4(cosineGap(a, b));
    const score = round4(clamp01(1 - gap));
    return scored(score, `Coherence gap: ${gap.toFixed(4)}`, ctx.threshold, { coherence_gap: gap });
  },
});
