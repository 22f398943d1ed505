/** Edges: close right after start (warm-up under way), close twice, engine down, close with a search/_bulk/clip rerank in flight, one of two closing while the other warms. */
import { rerank, start, t } from './p30c-lib.js';
process.on('unhandledRejection', (e) => console.log('UNHANDLED', e));
const timed = async (name: string, s: Awaited<ReturnType<typeof start>>, f?: () => Promise<unknown>) => {
  const t0 = t();
  const phases: string[] = [];
  const iv = setInterval(() => { const p = s.closePhase(); if (phases.at(-1) !== p) phases.push(p); }, 10);
  await (f ? f() : s.close());
  clearInterval(iv);
  console.log(name, Math.round(t() - t0), 'ms', phases.join('>'), 'overruns', JSON.stringify(s.services.closeOverruns));
};
// 1. close right after start, warm-up on
{ const s = await start({ rerank: { warmup: true } }); await timed('close-at-once(warmup)', s); }
// 2. close twice at once and after
{ const s = await start(); await timed('close-twice', s, () => Promise.all([s.close(), s.close()])); await timed('close-third', s); }
// 3. engine down
{ const s = await start({ upstream: 'http://127.0.0.1:1' }); const r = await rerank(s.url, 2); console.log('down rerank', r.status); const q = await fetch(`${s.url}/p30c-x/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }); console.log('down search', q.status); await timed('close-engine-down', s); }
// 4. in flight: rerank with photos + clip, a search, a _bulk
{
  const s = await start();
  await rerank(s.url, 1);
  const fl = [
    rerank(s.url, 10, true, 3).then((r) => `rerank ${r.status} ${r.status !== 200 ? JSON.stringify(r.body).slice(0, 150) : ''}`),
    fetch(`${s.url}/grocery/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match: { title: 'apple' } }, ext: { vlrerank: { query: 'green apple' } } }) }).then(async (r) => `search ${r.status} ${(await r.text()).slice(0, 100)}`),
    fetch(`${s.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"index":{"_index":"p30c-b","_id":"1"}}\n{"title":"x"}\n' }).then(async (r) => `bulk ${r.status} ${(await r.text()).slice(0, 100)}`),
  ].map((p) => p.catch((e) => `ERR ${e.cause?.code ?? e}`));
  await new Promise((r) => setTimeout(r, 150));
  await timed('close-in-flight', s);
  for (const x of await Promise.all(fl)) console.log('  ', x);
}
// 5. two servers: A closes while B warms up (B started, warm-up on)
{
  const a = await start(); await rerank(a.url, 2);
  const b = await start({ rerank: { warmup: true } });
  const bAns = rerank(b.url, 3, true, 9);
  await timed('A-close-while-B-warms', a);
  const r = await bAns; console.log('  B', r.status, r.status !== 200 ? JSON.stringify(r.body).slice(0, 200) : '');
  await timed('B-close', b);
}
console.log('active', JSON.stringify(process.getActiveResourcesInfo()));
process.on('exit', () => console.log('exited by itself'));
