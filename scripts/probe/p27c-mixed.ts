/**
 * Held-out probe round 27c: a run of mixed rerank requests — computed, cached, a client that hangs
 * up mid-run, 429s (more at once than `maxConcurrentRequests` + `maxQueued`), a budget that runs out
 * (degraded or 504), a missing photo among good documents, 150 texts split by the batch size — and
 * whether the sum of their `usage` adds up with the metrics' deltas and the access log's lines.
 *   P27C_OFF=60 npx tsx scripts/probe/p27c-mixed.ts   (the server's access log: /tmp/p27c/serve3.log)
 */
import { readFileSync } from 'node:fs';
import { ABSTRACTS, PHOTOS, delta, metrics, post, sumCalls } from './p27c-lib.js';

const off = Number(process.env.P27C_OFF ?? 60);
const LOG = process.env.P27C_LOG ?? '/tmp/p27c/serve3.log';
const salt = `m${Date.now()}`;
const lines0 = readFileSync(LOG, 'utf8').split('\n').length;
const m0 = await metrics();
const answers: Array<{ label: string; status: number; usage?: any; warnings?: unknown }> = [];
// P27C_OWN=1: every call on /_vlrerank/rerank (its usage has model_calls, to add up with the metrics)
const own = (path: string, body: any) => (process.env.P27C_OWN && path !== '/_vlrerank/rerank' ? { query: { text: body.query }, documents: body.documents.map((d: unknown) => (typeof d === 'string' ? { text: d } : d)) } : body);
const run = async (label: string, path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) => {
  body = own(path, body);
  if (process.env.P27C_OWN) path = '/_vlrerank/rerank';
  try {
    const r = await post(path, body, headers, signal);
    answers.push({ label, status: r.status, usage: r.json.usage, warnings: r.json.meta?.warnings ?? r.json.errors });
  } catch (e) {
    answers.push({ label, status: -1, warnings: (e as Error).name });
  }
};
const photos = (k: number, n: number) => PHOTOS.slice(off + k, off + k + n).map((image) => ({ image }));
// a client that hangs up after 400 ms of a request computing photos
const ac = new AbortController();
setTimeout(() => ac.abort(), 400);
await Promise.all([
  run('aborted', '/_vlrerank/rerank', { query: { text: `a street ${salt}` }, documents: photos(0, 4) }, {}, ac.signal),
  run('computed', '/_vlrerank/rerank', { query: { text: `a kitchen ${salt}` }, documents: photos(4, 3) }),
  ...[0, 1, 2, 3, 4].map((i) => run(`burst${i}`, '/v1/rerank', { query: `burst ${i} ${salt}`, documents: [`text ${i} ${salt}`, { image: PHOTOS[off + 7 + i] }] })),
]);
await run('budget 1500', '/_vlrerank/rerank', { query: { text: `a horse ${salt}` }, documents: [...photos(12, 4), { text: `a horse in a field ${salt}` }] }, { 'x-vlrerank-budget-ms': '1500' });
await run('missing photo', '/v1/rerank', { query: `fruit ${salt}`, documents: [`an apple ${salt}`, { image: 'coco-captions-mini/images/val2017/nope.jpg' }, { image: PHOTOS[off + 16] }] });
await run('150 texts', '/v2/rerank', { query: `cells ${salt}`, documents: ABSTRACTS.slice(200, 350).map((t) => `${salt} ${t.slice(0, 300)}`) });
await run('cached again', '/_vlrerank/rerank', { query: { text: `a kitchen ${salt}` }, documents: photos(4, 3) });
await new Promise((r) => setTimeout(r, 8000)); // the aborted request's runs finish; the access log flushes (1 s)
const m1 = await metrics();
for (const a of answers) console.log(a.label, a.status, JSON.stringify(a.usage?.model_calls ?? a.usage ?? null), a.usage?.total_tokens ?? a.usage?.tokens ?? '', JSON.stringify(a.warnings ?? '').slice(0, 160));
const runs = delta(m0, m1, /^vlrerank_model_runs_total/);
console.log('metrics model runs', JSON.stringify(runs), 'total', Object.values(runs).reduce((s, n) => s + n, 0));
console.log('sum of usage.model_calls (answers with usage)', answers.reduce((s, a) => s + sumCalls(a.usage ?? {}), 0));
console.log('metrics requests', JSON.stringify(delta(m0, m1, /^vlrerank_requests_total\{route="rerank"/)));
console.log('metrics shed / failures', JSON.stringify(delta(m0, m1, /^vlrerank_(rerank_shed_total|failures_total)/)));
const access = readFileSync(LOG, 'utf8').split('\n').slice(lines0 - 1).filter((l) => l.includes('"access"') && /rerank/.test(l));
console.log('access lines (rerank paths)', access.length, 'of', answers.length, 'requests');
for (const l of access) { const a = JSON.parse(l).access; console.log('  ', a.status, a.path, JSON.stringify(a.rerank ?? ''), a.code ?? '', a.aborted ? 'aborted' : '', a.shed_reason ?? ''); }
