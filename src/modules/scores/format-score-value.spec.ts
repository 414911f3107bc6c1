import { formatScoreValue } from './format-score-value';

describe('formatScoreValue', () => {
  it.each([
    [0.85, '0.85'],
    [1, '1.0'],
    [0, '0.0'],
    [-0, '0.0'],
    [0.123456, '0.1235'],
    [0.5, '0.5'],
    [2 / 3, '0.6667'],
  ])('%p → %p', (score, text) => {
    expect(formatScoreValue(score)).toBe(text);
  });
});
