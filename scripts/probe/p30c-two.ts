/** Two servers in one process: B under continuous photo (+clip) reranks; A closes mid-load. */
import './p30c-instr.js';
import { rerank, start, t } from './p30c-lib.js';
process.on('unhandledRejection', (e) => console.log('UNHANDLED', e));
const a = await start();
const b = await start();
console.log('warm A', (await rerank(a.url, 3)).status, 'warm B', (await rerank(b.url, 3)).status);
let stop = false;
const bStats: Record<string, number> = {};
const loadB = async (k: number) => {
  let i = 0;
  while (!stop) {
    const r = await rerank(b.url, 6, k === 0 && i % 3 === 0, k * 17 + i++);
    const key = `${r.status}${r.status !== 200 ? ':' + JSON.stringify(r.body).slice(0, 120) : ''}`;
    bStats[key] = (bStats[key] ?? 0) + 1;
  }
};
const loaders = [0, 1, 2].map(loadB);
// A: one rerank in flight at close
const inflight = rerank(a.url, 8, true, 5).catch((e) => ({ status: -1, body: String(e) }));
await new Promise((r) => setTimeout(r, 300));
const t0 = t();
const phases: string[] = [];
const iv = setInterval(() => { const p = a.closePhase(); if (phases.at(-1) !== p) phases.push(p); }, 20);
await a.close();
clearInterval(iv);
console.log('A close ms', Math.round(t() - t0), 'phases', phases.join(' > '), 'overruns', a.services.closeOverruns);
const r = await inflight;
console.log('A in-flight', r.status, JSON.stringify(r.body).slice(0, 200));
await new Promise((r) => setTimeout(r, 3000));
stop = true;
await Promise.all(loaders);
console.log('B stats', bStats);
const t1 = t();
await b.close();
console.log('B close ms', Math.round(t() - t1), b.services.closeOverruns);
console.log('active', process.getActiveResourcesInfo());
