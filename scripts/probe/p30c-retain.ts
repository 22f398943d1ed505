/** What keeps a closed server's Models reachable (heap snapshot → /tmp/p30c-retain.heapsnapshot). */
import { request } from 'undici';
import { writeHeapSnapshot } from 'node:v8';
import { startRerankServer } from '../../test/helpers/rerank-server.js';
import { ES, PHOTOS } from './p30c-lib.js';
async function once() {
  const srv = await startRerankServer({ 'upstream.urls': [ES], 'rerank.warmup': false });
  const res = await request(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'green apple', documents: [{ text: 'x', image: PHOTOS[1] }, 'granite'] }) });
  await res.body.json();
  if (process.env.P30C_SCRAPE) await (await request(`${srv.url}/_vlrerank/metrics`, { headers: { authorization: 'Bearer test-admin-token-0123' } })).body.text();
  await srv.close();
  return new WeakRef(srv.services.models);
}
const w = await once();
for (let i = 0; i < 10; i++) { (globalThis as any).gc(); await new Promise((r) => setTimeout(r, 50)); }
console.log('models alive', !!w.deref());
if (w.deref()) writeHeapSnapshot('/tmp/p30c-retain.heapsnapshot');
