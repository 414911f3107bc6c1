/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package, and the
 * inclusive time of functions whose name matches --match. For finding per-request work.
 *
 *   node dist/bench/profile-summary.js /tmp/prof/CPU.….cpuprofile [--top 30] [--match verify,validate]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, match: { type: 'string', default: '' } },
});
const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (n: ProfileNode) => {
  const url = n.callFrame.url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.includes('/dist/src/')) return `ours: ${url.split('/dist/src/')[1].split('/').slice(0, 2).join('/')}`;
  if (url.startsWith('node:')) return url;
  return url ? 'other' : `(${n.callFrame.functionName || 'native'})`;
};
const pct = (us: number) => `${((100 * us) / total).toFixed(1)} %`;

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const fnSelf = new Map<string, number>();
const pkgSelf = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  add(fnSelf, `${n.callFrame.functionName || '(anonymous)'}  ${where(n)}:${n.callFrame.lineNumber + 1}`, us);
  add(pkgSelf, where(n), us);
}
const top = Number(values.top);
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(7)}  ${k}`);
};
console.log(`${(total / 1e6).toFixed(1)} s sampled`);
print('self time by package / folder', pkgSelf);
print('self time by function', fnSelf);

// Inclusive time: a sample counts once for each distinct matching frame on its stack.
const patterns = values.match.split(',').filter(Boolean);
if (patterns.length > 0) {
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const name = n.callFrame.functionName;
      for (const p of patterns) if (name.includes(p)) seen.add(`${name}  ${where(n)}`);
    }
    for (const k of seen) add(incl, k, us);
  }
  print('inclusive time of matching functions', incl);
}
