/** Round 31c: `p31c-kb` (default pipeline) and `p31c-nd` (named pipeline), 40 SciFact abstracts each, 2 shards, written through the proxy. */
import { SIDES, type Side, bulkBody, call, kbDocs } from './p31c-lib.js';
const side = process.argv[2] as Side; const { proxy, engine } = SIDES[side];
const props = { title: { type: 'text' }, text: { type: 'text' }, year: { type: 'integer' }, tag: { type: 'keyword' } };
for (const index of ['p31c-kb', 'p31c-nd']) {
  await call(engine, 'DELETE', `/${index}`);
  const c = await call(engine, 'PUT', `/${index}`, { settings: { number_of_shards: 2, number_of_replicas: 0 }, mappings: { properties: props } });
  const b = await call(proxy, 'POST', '/_bulk?refresh=true', bulkBody(index, kbDocs(40)));
  console.log(side, index, c.status, b.status, b.json?.errors);
}
