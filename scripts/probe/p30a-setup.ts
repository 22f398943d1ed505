/** Round 30a: two indices mapping the same fields differently (a, b), one without vectors (c), 12 products each. */
import { SIDES, type Side, bulkBody, call, groceryDocs } from './p30a-lib.js';
const side = process.argv[2] as Side; const { proxy, engine } = SIDES[side];
const vec = (dims: number) => (side !== 'os2' ? { type: 'dense_vector', dims, index: true, similarity: 'cosine' } : { type: 'knn_vector', dimension: dims, method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil' } });
const text = { title: { type: 'text' }, description: { type: 'text' }, image: { type: 'keyword' } };
const vectors = { image_vector: vec(1280), image_text_vector: vec(384) };
const settings = side === 'os2' ? { 'index.knn': true, number_of_shards: 2, number_of_replicas: 0 } : { number_of_shards: 2, number_of_replicas: 0 };
const maps = {
  'p30a-a': { ...text, ...vectors, price: { type: 'long' }, when: { type: 'date' }, code: { type: 'keyword' }, loc: { type: 'geo_point' } },
  'p30a-b': { ...text, ...vectors, price: { type: 'text' }, when: { type: 'text' }, code: { type: 'long' }, loc: { type: 'keyword' } },
  'p30a-c': { ...text, price: { type: 'long' }, when: { type: 'date' }, code: { type: 'keyword' }, loc: { type: 'geo_point' } },
};
const docs = groceryDocs(12).map((d, i) => ({ ...d, price: 100 + i, when: `2026-01-${String(i + 1).padStart(2, '0')}`, code: String(1000 + i), loc: '52.37,4.89' }));
for (const [index, properties] of Object.entries(maps)) {
  await call(engine, 'DELETE', `/${index}`);
  const c = await call(engine, 'PUT', `/${index}`, { settings, mappings: { properties } });
  const b = await call(index === 'p30a-c' ? engine : proxy, 'POST', '/_bulk?refresh=true', bulkBody(index, docs.map((d) => (index === 'p30a-b' ? { ...d, loc: 'amsterdam', code: String(1000 + Number(d.price)) } : d))));
  console.log(side, index, c.status, b.status, b.json?.errors, b.json?.items?.[0]?.index?.error?.reason ?? '');
}
