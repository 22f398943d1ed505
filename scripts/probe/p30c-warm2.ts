/** Two servers warming up at once in one process (as two browser-test files' stacks): close each mid-warm-up, with a photo+clip rerank in flight on the other. */
import { rerank, start, t } from './p30c-lib.js';
process.on('unhandledRejection', (e) => console.log('UNHANDLED', String(e)));
const timed = async (name: string, s: Awaited<ReturnType<typeof start>>, p = s.close()) => {
  const t0 = t(); const phases: string[] = [];
  const iv = setInterval(() => { const x = s.closePhase(); if (phases.at(-1) !== x) phases.push(x); }, 5);
  await p; clearInterval(iv);
  console.log(name, Math.round(t() - t0), 'ms', phases.join('>'), 'overruns', JSON.stringify(s.services.closeOverruns));
};
for (const delay of [0, 300, 1500, 4000]) {
  const [a, b] = await Promise.all([start({ rerank: { warmup: true } }), start({ rerank: { warmup: true } })]);
  const bAns = rerank(b.url, 6, true, delay).then((r) => `${r.status} ${r.status !== 200 ? JSON.stringify(r.body).slice(0, 160) : ''}`);
  await new Promise((r) => setTimeout(r, delay));
  await timed(`A@${delay}`, a);
  console.log('  B answered', await bAns);
  await timed(`B@${delay}`, b);
}
console.log('active', JSON.stringify(process.getActiveResourcesInfo()));
process.on('exit', () => console.log('exited by itself'));
