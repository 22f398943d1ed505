/** Probe: routing values of odd shapes (`/`, `+`, unicode, space, `%`) through `_doc`, `_update` and `_bulk` — the stored document found again, the record keeping the photo. */
import { BANANA, call, setup, ENGINE, BASE } from './p29b-lib.js';

const index = 'p29b-r-rv';
// eight shards from a template (a wrong routing then misses the document), `index setup` making the record field
await call(ENGINE, 'PUT', '/_index_template/p29b-rv', { index_patterns: ['p29b-r-rv*'], priority: 500, template: { settings: { number_of_shards: 8, number_of_replicas: 0 } } });
await setup('p29b', index);
for (const routing of ['a/b', 'a+b', 'ü-日本', 'a b', '100%', 'x#y']) {
  const q = `routing=${encodeURIComponent(routing)}&refresh=true`;
  const id = `d-${routing}`;
  const w = await call(BASE, 'PUT', `/${index}/_doc/${encodeURIComponent(id)}?${q}`, { title: 'yellow', image: BANANA });
  const u = await call(BASE, 'POST', `/${index}/_update/${encodeURIComponent(id)}?${q}`, { doc: { title: 'banana' } });
  const nd = `${JSON.stringify({ update: { _index: index, _id: id, routing } })}\n${JSON.stringify({ doc: { tags: 'fruit' } })}\n`;
  const b = await call(BASE, 'POST', '/_bulk?refresh=true', nd);
  const g = await call(ENGINE, 'GET', `/${index}/_doc/${encodeURIComponent(id)}?${q}&stored_fields=vlrerank_features,_source`);
  const s = await call(BASE, 'POST', `/${index}/_search`, { query: { ids: { values: [id] } }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } });
  const h = s.json?.hits?.hits?.[0];
  console.log(JSON.stringify(routing), w.status, u.status, b.json?.errors, JSON.stringify(u.json?.vlrerank ?? ''), JSON.stringify(b.json?.items?.[0]?.update?.vlrerank ?? ''), 'routing', g.json?._routing, 'rec', !!g.json?.fields?.vlrerank_features, h?._score?.toFixed(4), JSON.stringify(h?._vlrerank?.explanation?.modalities?.document), JSON.stringify(h?._vlrerank?.explanation?.features));
}
await call(ENGINE, 'DELETE', '/_index_template/p29b-rv');
