/** Round 29d: `_bulk` through the proxy where the index refuses some items or vlrerank's added fields. */
import { SIDES, bulkBody, call, groceryDocs, strip, type Side } from './p29d-lib.js';
const docs = groceryDocs(6);
const nd = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
const src = ({ _id, ...d }: any) => d;
for (const s of Object.keys(SIDES) as Side[]) {
  const { proxy, engine } = SIDES[s];
  const knn = s === 'os2' ? { 'index.knn': true } : {};
  const fresh = async (name: string, body: any) => { await call(engine, 'DELETE', `/${name}`); return call(engine, 'PUT', `/${name}`, { ...body, settings: { ...knn, ...(body.settings ?? {}) } }); };
  const base = { title: { type: 'text' }, description: { type: 'text' }, image: { type: 'keyword' } };
  const show = async (label: string, idx: string, r: any) => {
    await call(engine, 'POST', `/${idx}/_refresh`);
    const got = await call(engine, 'POST', `/${idx}/_search`, { size: 20, _source: { excludes: ['*vector'] }, fields: [] });
    const m = await call(engine, 'GET', `/${idx}/_mapping`);
    console.log(s, label, r.status, r.text.slice(0, 900));
    console.log('   stored', got.json?.hits?.hits?.map((h: any) => `${h._id}:${Object.keys(h._source).join('+')}`).join(' '), '| fields', Object.keys(m.json?.[idx]?.mappings?.properties ?? {}).join(','));
  };
  // strict mapping that does not name vlrerank's fields
  await fresh('p29d-i1', { mappings: { dynamic: 'strict', properties: base } });
  await show('strict', 'p29d-i1', await call(proxy, 'POST', '/p29d-i1/_bulk', bulkBody('p29d-i1', docs.slice(0, 2))));
  await fresh('p29d-i1', { mappings: { dynamic: 'strict', properties: base } });
  await show('strict _doc', 'p29d-i1', await call(proxy, 'PUT', `/p29d-i1/_doc/${docs[2]._id}`, src(docs[2])));
  // dynamic false
  await fresh('p29d-i2', { mappings: { dynamic: false, properties: base } });
  await show('dyn-false', 'p29d-i2', await call(proxy, 'POST', '/p29d-i2/_bulk', bulkBody('p29d-i2', docs.slice(0, 2))));
  // total fields limit reached by vlrerank's fields
  await fresh('p29d-i3', { settings: { 'index.mapping.total_fields.limit': 3 }, mappings: { properties: base } });
  await show('total_fields', 'p29d-i3', await call(proxy, 'POST', '/p29d-i3/_bulk', bulkBody('p29d-i3', docs.slice(0, 2))));
  // vector field with other dims
  await fresh('p29d-i4', { mappings: { properties: { ...base, image_vector: s === 'os2' ? { type: 'knn_vector', dimension: 8, method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil' } } : { type: 'dense_vector', dims: 8 } } } });
  await show('other dims', 'p29d-i4', await call(proxy, 'POST', '/p29d-i4/_bulk', bulkBody('p29d-i4', docs.slice(0, 2))));
  // mixed: create conflict, a mapping error on one item, if_seq_no stale, good ones
  await fresh('p29d-i5', { mappings: { properties: { ...base, price: { type: 'integer' } } } });
  await call(engine, 'PUT', `/p29d-i5/_doc/${docs[0]._id}?refresh=true`, src(docs[0]));
  const mixed = nd([
    { create: { _index: 'p29d-i5', _id: docs[0]._id } }, src(docs[0]),
    { index: { _index: 'p29d-i5', _id: docs[1]._id } }, { ...src(docs[1]), price: 'not-a-number' },
    { index: { _index: 'p29d-i5', _id: docs[2]._id } }, src(docs[2]),
    { index: { _index: 'p29d-i5', _id: docs[0]._id, if_seq_no: 99, if_primary_term: 1 } }, src(docs[0]),
    { create: { _index: 'p29d-i5', _id: docs[3]._id } }, src(docs[3]),
    { update: { _index: 'p29d-i5', _id: 'missing' } }, { doc: { title: 'x' } },
  ]);
  await show('mixed', 'p29d-i5', await call(proxy, 'POST', '/_bulk?refresh=wait_for', mixed));
}
