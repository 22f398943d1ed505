/** Close while a rerank waits on a media URL whose server never answers (port 19805). */
import { createServer } from 'node:http';
import { start, t } from './p30c-lib.js';
process.on('unhandledRejection', (e) => console.log('UNHANDLED', e));
const sockets = new Set<any>();
const hang = createServer(() => {}).listen(19805, '127.0.0.1');
hang.on('connection', (s) => sockets.add(s));
const s = await start({ server: { shutdownGraceMs: 3000 }, media: { allowHosts: ['127.0.0.1'] }, rerank: { warmup: false } });
(s as any);
const body = JSON.stringify({ query: 'apple', documents: [{ text: 'x', image: 'http://127.0.0.1:19805/a.jpg' }, 'granite'] });
const inflight = fetch(`${s.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => `${r.status} ${(await r.text()).slice(0, 200)}`, (e) => `ERR ${e.cause?.code ?? e}`);
await new Promise((r) => setTimeout(r, 1000));
const t0 = t(); const phases: string[] = [];
const iv = setInterval(() => { const p = s.closePhase(); if (phases.at(-1) !== p) phases.push(p); }, 20);
await s.close(); clearInterval(iv);
console.log('close', Math.round(t() - t0), 'ms', phases.join(' > '), 'overruns', s.services.closeOverruns);
console.log('in flight:', await inflight);
for (const x of sockets) x.destroy(); hang.close();
console.log('active', JSON.stringify(process.getActiveResourcesInfo()));
