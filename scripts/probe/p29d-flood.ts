/** Round 29d: `_bulk` through the proxy into a fresh set-up index under the flood-stage block, several times: model work per refused write. */
import { SIDES, bulkBody, call, groceryDocs, type Side } from './p29d-lib.js';
const s = (process.argv[2] ?? 'es8') as Side; const I = process.argv[3] ?? 'p29d-fl';
const blk = process.argv[4] ?? 'read_only_allow_delete';
const { proxy, engine } = SIDES[s];
await call(engine, 'PUT', `/${I}/_settings`, { [`index.blocks.${blk}`]: true });
const off = Number(process.argv[5] ?? 0); const docs = groceryDocs(off + 40).slice(off);
for (let round = 0; round < 4; round++) {
  const batch = docs.slice(round * 8, round * 8 + 8);
  const t0 = Date.now();
  const r = await call(proxy, 'POST', `/${I}/_bulk`, bulkBody(I, batch));
  console.log(s, blk, 'round', round, r.status, Date.now() - t0, 'ms', JSON.stringify(r.json?.vlrerank), r.json?.items?.[0]?.index?.status, r.json?.items?.[0]?.index?.error?.type);
}
await call(engine, 'PUT', `/${I}/_settings`, { [`index.blocks.${blk}`]: null });
const t0 = Date.now();
const r = await call(proxy, 'POST', `/${I}/_bulk?refresh=true`, bulkBody(I, docs.slice(32, 36)));
console.log(s, 'lifted', r.status, Date.now() - t0, 'ms', JSON.stringify(r.json?.vlrerank), r.json?.items?.map((i: any) => i.index.status).join(','));
const c = await call(engine, 'POST', `/${I}/_count`, { query: { exists: { field: 'image_vector' } } });
console.log('  with vectors', c.json?.count);
