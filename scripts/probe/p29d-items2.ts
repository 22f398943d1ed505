/** Round 29d: `_bulk` through the proxy into indices mapping the vectors but refusing vlrerank's record fields; mixed items on a set-up index. */
import { SIDES, bulkBody, call, groceryDocs, type Side } from './p29d-lib.js';
const docs = groceryDocs(6);
const nd = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
const src = ({ _id, ...d }: any) => d;
for (const s of Object.keys(SIDES) as Side[]) {
  const { proxy, engine } = SIDES[s];
  const ref = (await call(engine, 'GET', '/p29d-b/_mapping')).json['p29d-b'].mappings.properties;
  const settings = s === 'os2' ? { 'index.knn': true } : {};
  const { vlrerank_features, vlrerank_features_key, ...noRec } = ref;
  const fresh = async (name: string, body: any) => { await call(engine, 'DELETE', `/${name}`); const r = await call(engine, 'PUT', `/${name}`, { ...body, settings: { ...settings, ...(body.settings ?? {}) } }); if (r.status !== 200) console.log(r.text); };
  const show = async (label: string, idx: string, r: any) => {
    await call(engine, 'POST', `/${idx}/_refresh`);
    const got = await call(engine, 'POST', `/${idx}/_search`, { size: 20, _source: { excludes: ['*vector'] }, docvalue_fields: [], stored_fields: ['_source', 'vlrerank_features_key'] });
    console.log(s, label, r.status, 'errors', r.json?.errors, JSON.stringify(r.json?.items?.map((i: any) => { const [k, v]: any = Object.entries(i)[0]; return `${k}:${v._id}:${v.status}:${v.error?.type ?? ''}:${v.vlrerank ? JSON.stringify(v.vlrerank).slice(0, 200) : ''}`; }) ?? r.text.slice(0, 400)));
    console.log('   stored', got.json?.hits?.hits?.map((h: any) => `${h._id}:${Object.keys(h._source).join('+')}${h.fields?.vlrerank_features_key ? '+REC' : ''}`).join(' '));
  };
  const excl = { _source: { excludes: ['vlrerank_features', 'vlrerank_features_key'] } };
  await fresh('p29d-j0', { mappings: { ...excl, properties: ref } });
  await show('setup-like', 'p29d-j0', await call(proxy, 'POST', '/p29d-j0/_bulk', bulkBody('p29d-j0', docs.slice(0, 2))));
  await fresh('p29d-j1', { mappings: { ...excl, dynamic: 'strict', properties: noRec } });
  await show('strict-vectors-mapped', 'p29d-j1', await call(proxy, 'POST', '/p29d-j1/_bulk', bulkBody('p29d-j1', docs.slice(0, 2))));
  const n = Object.keys(noRec).length;
  await fresh('p29d-j2', { settings: { 'index.mapping.total_fields.limit': n }, mappings: { ...excl, properties: noRec } });
  await show(`total_fields=${n}`, 'p29d-j2', await call(proxy, 'POST', '/p29d-j2/_bulk', bulkBody('p29d-j2', docs.slice(0, 2))));
  await fresh('p29d-j3', { mappings: { ...excl, properties: { ...ref, price: { type: 'integer' } } } });
  await call(engine, 'PUT', `/p29d-j3/_doc/${docs[0]._id}?refresh=true`, src(docs[0]));
  const mixed = nd([
    { create: { _index: 'p29d-j3', _id: docs[0]._id } }, src(docs[0]),
    { index: { _index: 'p29d-j3', _id: docs[1]._id } }, { ...src(docs[1]), price: 'not-a-number' },
    { index: { _index: 'p29d-j3', _id: docs[2]._id } }, src(docs[2]),
    { index: { _index: 'p29d-j3', _id: docs[0]._id, if_seq_no: 99, if_primary_term: 1 } }, src(docs[0]),
    { create: { _index: 'p29d-j3', _id: docs[3]._id } }, src(docs[3]),
    { update: { _index: 'p29d-j3', _id: 'missing' } }, { doc: { title: 'x' } },
    { index: { _index: 'p29d-b', _id: docs[4]._id } }, src(docs[4]),
  ]);
  await call(engine, 'PUT', '/p29d-b/_settings', { 'index.blocks.write': true });
  await show('mixed', 'p29d-j3', await call(proxy, 'POST', '/_bulk?refresh=wait_for', mixed));
  await call(engine, 'PUT', '/p29d-b/_settings', { 'index.blocks.write': null });
}
