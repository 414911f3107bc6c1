import { labelAgreement } from './agreement-stats';

const cell = (judge: string, human: string, count: number) => ({ judge, human, count });

describe('labelAgreement', () => {
  it('computes accuracy and κ of a balanced 2×2 table (worked by hand)', () => {
    // 50 traces: both "yes" 20, both "no" 15, judge yes/human no 5, judge no/human yes 10.
    // p_o = 35/50 = 0.7; judge yes 25/50, human yes 30/50; p_e = 0.5·0.6 + 0.5·0.4 = 0.5; κ = 0.2/0.5 = 0.4.
    const r = labelAgreement([
      cell('yes', 'yes', 20),
      cell('no', 'no', 15),
      cell('yes', 'no', 5),
      cell('no', 'yes', 10),
    ]);
    expect(r.n).toBe(50);
    expect(r.accuracy).toBeCloseTo(0.7, 12);
    expect(r.cohen_kappa).toBeCloseTo(0.4, 12);
    expect(r.labels).toEqual(['no', 'yes']);
  });

  it('gives a skewed set a low κ despite a high accuracy', () => {
    // 100 traces, 90 both "true", 0 both "false", 5 each way off. p_o = 0.9; judge true 95 %, human true 95 %;
    // p_e = 0.95² + 0.05² = 0.905; κ = (0.9 − 0.905) / 0.095 = −0.0526…
    const r = labelAgreement([cell('true', 'true', 90), cell('true', 'false', 5), cell('false', 'true', 5)]);
    expect(r.accuracy).toBeCloseTo(0.9, 12);
    expect(r.cohen_kappa).toBeCloseTo(-0.005 / 0.095, 12);
  });

  it('handles three categories and labels only one side used', () => {
    // judge a,a,b,c ; human a,b,b,d. p_o = 2/4; p_e = (2/4·1/4)[a] + (1/4·2/4)[b] + 0[c] + 0[d] = 0.25; κ = 0.25/0.75.
    const r = labelAgreement([cell('a', 'a', 1), cell('a', 'b', 1), cell('b', 'b', 1), cell('c', 'd', 1)]);
    expect(r.accuracy).toBe(0.5);
    expect(r.cohen_kappa).toBeCloseTo(1 / 3, 12);
    expect(r.labels).toEqual(['a', 'b', 'c', 'd']);
  });

  it('is perfect agreement with κ 1, and undefined κ when both sides used one label only', () => {
    expect(labelAgreement([cell('x', 'x', 3), cell('y', 'y', 2)]).cohen_kappa).toBeCloseTo(1, 12);
    const one = labelAgreement([cell('x', 'x', 4)]);
    expect(one.accuracy).toBe(1);
    expect(one.cohen_kappa).toBeNull();
  });

  it('has nothing to say about no pairs', () => {
    expect(labelAgreement([])).toEqual({ n: 0, accuracy: null, cohen_kappa: null, labels: [] });
  });
});
