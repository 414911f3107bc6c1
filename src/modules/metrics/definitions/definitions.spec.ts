import { readdirSync } from 'node:fs';
import { ALL_METRICS } from '.';
import { MetricRegistry } from '../metric-registry';

describe('metric definitions', () => {
  it('registers every *.metric.ts file of the folder exactly once', () => {
    const files = readdirSync(__dirname).filter((f) => f.endsWith('.metric.ts'));
    const expected = files.map((f) => f.replace('.metric.ts', '').replace(/-/g, '_')).sort();
    expect(ALL_METRICS.map((m) => m.name).sort()).toEqual(expected);
    expect(() => new MetricRegistry()).not.toThrow();
    expect(() => new MetricRegistry([...ALL_METRICS, ALL_METRICS[0]])).toThrow(/registered twice/);
  });

  it('gives each metric a default threshold of 0.5 and the trace category', () => {
    for (const m of ALL_METRICS) {
      expect(m.defaultThreshold).toBe(0.5);
      expect(m.category).toBe('trace');
    }
  });
});
