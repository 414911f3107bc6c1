import { ScoreDataType } from './entities/trace-score.entity';
import { checkScoreValue } from './score-value';

describe('checkScoreValue', () => {
  it.each(['0', '1', '0.85', ' 0.5 ', '.5', '1.0', '1e-1', '+0.3'])('accepts NUMERIC %p', (v) => {
    expect(checkScoreValue(ScoreDataType.NUMERIC, v)).toEqual({ ok: true, value: v.trim() });
  });

  it.each(['', ' ', 'hello', '0x1', 'Infinity', 'NaN', '1,5', '0.5.1'])('rejects NUMERIC %p as not a number', (v) => {
    expect(checkScoreValue(ScoreDataType.NUMERIC, v)).toEqual({
      ok: false,
      message: 'NUMERIC score must be a valid number',
    });
  });

  it.each(['1.5', '-0.1', '2', '1e3'])('rejects NUMERIC %p as out of range', (v) => {
    expect(checkScoreValue(ScoreDataType.NUMERIC, v)).toEqual({
      ok: false,
      message: 'NUMERIC score must be in [0.0, 1.0]',
    });
  });

  it.each(['1e-400', '0.5e-330', '1E-999'])(
    'rejects NUMERIC %p as an underflow (0 to JavaScript, an error to PostgreSQL)',
    (v) => {
      expect(checkScoreValue(ScoreDataType.NUMERIC, v)).toEqual({
        ok: false,
        message: 'NUMERIC score is too small to represent (underflow); send 0 instead',
      });
    },
  );

  it.each(['0e-400', '0.0', '1e-300'])('still accepts NUMERIC %p', (v) => {
    expect(checkScoreValue(ScoreDataType.NUMERIC, v)).toEqual({ ok: true, value: v });
  });

  it('accepts BOOLEAN in any case and stores it lower-case', () => {
    expect(checkScoreValue(ScoreDataType.BOOLEAN, 'TRUE')).toEqual({ ok: true, value: 'true' });
    expect(checkScoreValue(ScoreDataType.BOOLEAN, 'False')).toEqual({ ok: true, value: 'false' });
    expect(checkScoreValue(ScoreDataType.BOOLEAN, 'yes')).toEqual({
      ok: false,
      message: "BOOLEAN score must be 'true' or 'false'",
    });
  });

  it('accepts any CATEGORICAL string up to 255 characters', () => {
    expect(checkScoreValue(ScoreDataType.CATEGORICAL, 'Good')).toEqual({ ok: true, value: 'Good' });
    expect(checkScoreValue(ScoreDataType.CATEGORICAL, 'x'.repeat(256)).ok).toBe(false);
  });
});
