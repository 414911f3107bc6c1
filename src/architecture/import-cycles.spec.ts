import { join } from 'node:path';
import { cycles, groupOf, importGraph } from './import-graph';

/**
 * File-level cycles allowed, with the reason. TypeORM relations name each other's entity class on
 * both sides (resolved lazily through `() => Entity`), which is the ORM's supported shape.
 */
const ALLOWED_FILE_CYCLES = [['modules/traces/entities/span.entity.ts', 'modules/traces/entities/trace.entity.ts']];

/** Cycles make a change ripple both ways: files and modules import in one direction only. */
describe('import graph of src/', () => {
  const root = join(__dirname, '..');
  const graph = importGraph(root);

  it('has no cycle between files', () => {
    const found = cycles(graph).map((c) => c.map((f) => f.slice(root.length + 1)));
    const allowed = new Set(ALLOWED_FILE_CYCLES.map((c) => c.join(' ')));
    expect(found.filter((c) => !allowed.has(c.join(' ')))).toEqual([]);
  });

  it('has no cycle between modules (src/modules/<name>) or top-level directories', () => {
    const groups = new Map<string, Set<string>>();
    for (const [file, targets] of graph) {
      const from = groupOf(root, file);
      const set = groups.get(from) ?? groups.set(from, new Set()).get(from)!;
      for (const target of targets) if (groupOf(root, target) !== from) set.add(groupOf(root, target));
    }
    expect(cycles(groups)).toEqual([]);
  });
});
