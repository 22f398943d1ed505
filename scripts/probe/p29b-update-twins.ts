/** Probe: partial updates of routed twins (same _id, two routings) through `_update` and `_bulk` — each twin's record made from its own stored document. */
import { BANANA, MILK, call, ENGINE, BASE } from './p29b-lib.js';

const index = 'p29b-r-tw';
await call(ENGINE, 'PUT', '/_index_template/p29b-tw', { index_patterns: ['p29b-r-tw*'], priority: 500, template: { settings: { number_of_shards: 4, number_of_replicas: 0 } } });
const { setup } = await import('./p29b-lib.js');
await setup('p29b', index);
for (const [r, title, image] of [['r1', 'yellow banana', BANANA], ['r4', 'arla milk', MILK]] as const) console.log((await call(BASE, 'PUT', `/${index}/_doc/X?routing=${r}&refresh=true`, { title, image })).status);
const scores = async (label: string) => {
  const s = await call(BASE, 'POST', `/${index}/_search`, { size: 10, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } });
  console.log(label, JSON.stringify(s.json.hits.hits.map((h: any) => [h._routing, h._source.title, h._score.toFixed(4), h._vlrerank?.explanation?.features ?? h._vlrerank?.explanation?.feature_source])));
};
await scores('start');
// r1's title changes (its photo stays): the record must keep r1's banana photo
console.log('update', (await call(BASE, 'POST', `/${index}/_update/X?routing=r1&refresh=true`, { doc: { title: 'yellow banana fruit' } })).text.slice(0, 200));
await scores('after _update r1 title');
const nd = [JSON.stringify({ update: { _index: index, _id: 'X', routing: 'r4' } }), JSON.stringify({ doc: { tags: 'dairy carton' } })].join('\n') + '\n';
console.log('bulk', (await call(BASE, 'POST', '/_bulk?refresh=true', nd)).text.slice(0, 300));
await scores('after _bulk update r4 tags');
await call(ENGINE, 'DELETE', '/_index_template/p29b-tw');
console.log('bulk full', (await call(BASE, 'POST', '/_bulk?refresh=true', nd)).json?.vlrerank);
await call(BASE, 'PUT', `/${index}/_doc/Y?refresh=true`, { title: 'arla milk', image: MILK, tags: 'dairy carton' });
await call(BASE, 'PUT', `/${index}/_doc/Z?refresh=true`, { title: 'arla milk', image: MILK });
await call(BASE, 'POST', `/${index}/_update/Z?refresh=true`, { doc: { tags: 'dairy carton' } });
await scores('with Y fresh, Z updated without routing');
