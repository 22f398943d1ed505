/** Round 29d: writes through the proxy into `p29d-b` under each block, compared with the engine directly. */
import { SIDES, bulkBody, call, groceryDocs, strip, type Side } from './p29d-lib.js';
const docs = groceryDocs(4);
const only = process.argv[2];
const blocks: Array<[string, Record<string, unknown> | 'close']> = [
  ['write', { 'index.blocks.write': true }],
  ['read_only', { 'index.blocks.read_only': true }],
  ['allow_delete', { 'index.blocks.read_only_allow_delete': true }],
  ['closed', 'close'],
];
for (const s of Object.keys(SIDES) as Side[]) {
  const { proxy, engine } = SIDES[s];
  await call(engine, 'POST', '/_bulk?refresh=true', bulkBody('p29d-b', docs.slice(0, 1)));
  for (const [name, set] of blocks) {
    if (only && only !== name) continue;
    if (set === 'close') await call(engine, 'POST', '/p29d-b/_close');
    else await call(engine, 'PUT', '/p29d-b/_settings', set);
    const cases: Array<[string, string, unknown?]> = [
      ['POST', '/_bulk', bulkBody('p29d-b', docs.slice(1, 3))],
      ['POST', '/p29d-b/_bulk?refresh=wait_for', bulkBody('p29d-b', docs.slice(1, 2)) + '{"delete":{"_id":"zz"}}\n'],
      ['PUT', `/p29d-b/_doc/${docs[3]._id}`, { ...docs[3], _id: undefined }],
      ['POST', `/p29d-b/_doc`, { ...docs[3], _id: undefined }],
      ['POST', `/p29d-b/_update/${docs[0]._id}`, { doc: { title: 'x' } }],
      ['POST', `/p29d-b/_create/new1`, { ...docs[3], _id: undefined }],
    ];
    for (const [m, p, b] of cases) {
      const t0 = Date.now();
      const a = await call(proxy, m, p, b);
      const ms = Date.now() - t0;
      const d = await call(engine, m, p, b);
      const same = a.status === d.status && strip(a.json) === strip(d.json);
      console.log(s, name, m, p, a.status, d.status, same ? 'SAME' : 'DIFF', ms + 'ms');
      if (!same) console.log('  proxy ', a.text.slice(0, 600), '\n  engine', d.text.slice(0, 600));
    }
    if (set === 'close') await call(engine, 'POST', '/p29d-b/_open?wait_for_active_shards=1');
    else await call(engine, 'PUT', '/p29d-b/_settings', Object.fromEntries(Object.keys(set).map((k) => [k, null])));
  }
  const c = await call(engine, 'GET', '/p29d-b/_count');
  console.log(s, 'count after', c.json?.count);
}
