/**
 * Where a V8 CPU profile's time went (`node --cpu-prof`, e.g. `npm run bench:load -- --cpu-profile DIR`):
 * self time by function (name, file:line), the garbage collector's share, idle and the total — the
 * breakdown task ld25 asked for before the first-stage answer's parse moved off the main thread.
 * Also the self time of functions whose name matches --grep (e.g. `parse|engineText|sentTokens`).
 *
 * Usage: tsx scripts/bench/cpu-profile-top.ts FILE.cpuprofile [--top 25] [--grep REGEX]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = process.argv[2];
if (!file) throw new Error('usage: cpu-profile-top.ts FILE.cpuprofile [--top N] [--grep REGEX]');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
p.samples.forEach((id, i) => {
  const dt = p.timeDeltas[i] ?? 0;
  const f = byId.get(id)!.callFrame;
  const short = f.url.replace(/^.*\/(src|node_modules)\//, '$1/');
  const key = f.url ? `${f.functionName || '(anonymous)'}  ${short}:${f.lineNumber + 1}` : f.functionName;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
const pc = (us: number) => ((100 * us) / total).toFixed(1).padStart(5);
const idle = self.get('(idle)') ?? 0;
const busy = total - idle;
console.log(`${file}: ${ms(total)} ms sampled, idle ${ms(idle)} ms, busy ${ms(busy)} ms; garbage collector ${ms(self.get('(garbage collector)') ?? 0)} ms (${((100 * (self.get('(garbage collector)') ?? 0)) / busy).toFixed(1)}% of busy)`);
console.log('   self ms  % all  function');
for (const [k, v] of [...self].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, Number(arg('--top', '25')))) console.log(`  ${ms(v)}  ${pc(v)}  ${k}`);
const grep = arg('--grep', '');
if (grep) {
  const re = new RegExp(grep);
  const hits = [...self].filter(([k]) => re.test(k.split('  ')[0]!));
  const sum = hits.reduce((a, [, v]) => a + v, 0);
  console.log(`functions matching /${grep}/: ${ms(sum)} ms (${((100 * sum) / busy).toFixed(1)}% of busy)`);
  for (const [k, v] of hits.sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${ms(v)}  ${k}`);
}
