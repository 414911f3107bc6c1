/** One cell of a confusion matrix: how many traces the judge labelled `judge` and people `human`. */
export interface ConfusionCell {
  judge: string;
  human: string;
  count: number;
}

export interface LabelAgreement {
  /** Compared traces. */
  n: number;
  /** Share of traces where the judge's label equals the people's. */
  accuracy: number | null;
  /**
   * Cohen's κ: (p_o − p_e) / (1 − p_e), where p_e is the agreement expected by chance from each
   * side's label frequencies. Null when undefined: no pairs, or both sides gave one and the same
   * label to every trace (p_e = 1).
   */
  cohen_kappa: number | null;
  /** Every label either side used, sorted. */
  labels: string[];
}

/** Accuracy and Cohen's κ of a confusion matrix (cells with the same pair may repeat; they add up). */
export function labelAgreement(cells: ConfusionCell[]): LabelAgreement {
  const judgeTotals = new Map<string, number>();
  const humanTotals = new Map<string, number>();
  let n = 0;
  let agreed = 0;
  for (const { judge, human, count } of cells) {
    n += count;
    if (judge === human) agreed += count;
    judgeTotals.set(judge, (judgeTotals.get(judge) ?? 0) + count);
    humanTotals.set(human, (humanTotals.get(human) ?? 0) + count);
  }
  const labels = [...new Set([...judgeTotals.keys(), ...humanTotals.keys()])].sort();
  if (n === 0) return { n, accuracy: null, cohen_kappa: null, labels };
  const observed = agreed / n;
  let expected = 0;
  for (const label of labels) expected += ((judgeTotals.get(label) ?? 0) / n) * ((humanTotals.get(label) ?? 0) / n);
  // p_e can exceed 1 by a rounding error; anything that close means κ is undefined.
  const kappa = expected >= 1 - 1e-12 ? null : (observed - expected) / (1 - expected);
  return { n, accuracy: observed, cohen_kappa: kappa, labels };
}
