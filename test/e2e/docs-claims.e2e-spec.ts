import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsRegistry } from '../../src/modules/operators/metrics-registry';
import { createTestApp, TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** What the docs say, checked against the code that does it (issue 23, point 13). */
describe('docs say what the code does', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it("docs/scores.md's Prometheus table is the registry: the same metrics, types and labels", async () => {
    const documented = [...read('docs/scores.md').matchAll(/^\| `(pandaprobe_[a-z_]+)` \| (\w+) \| ([^|]*) \|/gm)].map(
      ([, name, type, labels]) => `${name} ${type} ${[...labels.matchAll(/`(\w+)`/g)].map((m) => m[1]).join(',')}`,
    );
    const registry = t.app.get(MetricsRegistry).registry;
    const actual = await Promise.all(
      registry.getMetricsAsArray().map(async (m) => {
        const { type } = await (m as unknown as { get(): Promise<{ type: string }> }).get();
        const labels = ((m as unknown as { labelNames?: string[] }).labelNames ?? []).filter((l) => l !== 'le');
        return `${m.name} ${type} ${labels.join(',')}`;
      }),
    );
    expect(documented.sort()).toEqual(actual.filter((a) => a.startsWith('pandaprobe_')).sort());
  });

  it('docs/architecture.md no longer claims one migration per module', () => {
    expect(read('docs/architecture.md')).not.toMatch(/one migration per module/i);
  });

  it('the README names the npm that honours allowScripts', () => {
    expect(read('README.md')).toMatch(/npm 11\.16/);
    expect(read('README.md')).not.toMatch(/npm 10\+ will do/);
  });
});
