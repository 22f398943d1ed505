/** Round 29d: reranked searches whose record write-back meets a block (argv: side, block), then the block lifted. */
import { SIDES, bulkBody, call, groceryDocs, type Side } from './p29d-lib.js';
const s = process.argv[2] as Side; const blk = process.argv[3];
const { proxy, engine } = SIDES[s]; const I = process.argv[4] ?? 'p29d-wb';
const setB = (v: boolean | null) => blk === 'close' ? undefined : call(engine, 'PUT', `/${I}/_settings`, { [`index.blocks.${blk}`]: v });
const recs = async () => (await call(engine, 'POST', `/${I}/_count`, { query: { exists: { field: 'vlrerank_features_key' } } })).json?.count;
const wb = async () => (await (await fetch(`${proxy}/_vlrerank/metrics`)).text()).split('\n').filter((l) => l.startsWith('vlrerank_record_write_back_total')).join(' ');
const search = async (q: string) => { const t0 = Date.now(); const r = await call(proxy, 'POST', `/${I}/_search`, { size: 5, query: { match: { title: q } }, ext: { vlrerank: { pipeline: 'p29d', window: 10 } } }); return `${r.status} ${Date.now() - t0}ms ${r.json?.hits?.hits?.map((h: any) => h._id).slice(0, 3).join(',') ?? r.text.slice(0, 300)}`; };
console.log(s, blk, 'seed', (await call(engine, 'POST', '/_bulk?refresh=true', bulkBody(I, groceryDocs(12)))).status, 'records', await recs());
await setB(true);
for (const q of ['apple', 'juice', 'milk', 'apple']) console.log('  blocked search', q, await search(q));
await new Promise((r) => setTimeout(r, 4000));
console.log('  records', await recs(), await wb());
await setB(null);
for (const q of ['apple', 'juice', 'milk']) console.log('  lifted search', q, await search(q));
await new Promise((r) => setTimeout(r, 6000));
await call(engine, 'POST', `/${I}/_refresh`);
console.log('  records', await recs(), await wb());
