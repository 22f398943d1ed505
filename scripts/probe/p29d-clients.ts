/** Round 29d: the official JS clients and their bulk helpers through the proxy into refusing indices, compared with the engine directly. */
import { Client as Es } from '@elastic/elasticsearch';
import { Client as Os } from '@opensearch-project/opensearch';
import { SIDES, call, groceryDocs, strip, type Side } from './p29d-lib.js';
const docs = groceryDocs(8);
for (const s of Object.keys(SIDES) as Side[]) {
  const { proxy, engine } = SIDES[s];
  const mk = (node: string): any => (s === 'es8' ? new Es({ node, maxRetries: 0, requestTimeout: 60_000 }) : new Os({ node, maxRetries: 0, requestTimeout: 60_000 }));
  const knn = s === 'os2' ? { 'index.knn': true } : {};
  for (const [label, body] of [['replicas5', { settings: { ...knn, number_of_replicas: 5 } }], ['wb', { settings: { ...knn } }]] as const) {
    const I = `p29d-c-${label}`;
    await call(engine, 'DELETE', `/${I}`);
    await call(engine, 'PUT', `/${I}`, body);
    if (label === 'wb') await call(engine, 'PUT', `/${I}/_settings`, { 'index.blocks.write': true });
    for (const [who, node] of [['proxy', proxy], ['engine', engine]] as const) {
      const c = mk(node);
      const t0 = Date.now();
      let out: string;
      try {
        const r = await c.index({ index: I, id: 'x1', body: { title: docs[0].title, image: docs[0].image }, document: { title: docs[0].title, image: docs[0].image }, wait_for_active_shards: label === 'replicas5' ? 'all' : undefined, timeout: '2s' });
        out = `ok ${JSON.stringify(r.body ?? r).slice(0, 200)}`;
      } catch (e: any) { out = `ERR ${e.meta?.statusCode ?? e.statusCode} ${JSON.stringify(e.meta?.body ?? e.body).slice(0, 300)}`; }
      console.log(s, label, who, 'index', Date.now() - t0, 'ms', out);
      const dropped: any[] = [];
      const t1 = Date.now();
      try {
        const st = await c.helpers.bulk({ datasource: docs.slice(1).map(({ _id, ...d }) => ({ ...d, id: _id })), onDocument: (d: any) => ({ index: { _index: I, _id: d.id } }), onDrop: (d: any) => dropped.push(`${d.document.id}:${d.status}:${d.error?.type}`), retries: 0, wait: 100, timeout: '2s', wait_for_active_shards: label === 'replicas5' ? 'all' : undefined, refreshOnCompletion: false });
        console.log(s, label, who, 'helpers.bulk', Date.now() - t1, 'ms', JSON.stringify({ total: st.total, ok: st.successful, failed: st.failed }), dropped.join(' '));
      } catch (e: any) { console.log(s, label, who, 'helpers.bulk ERR', String(e).slice(0, 300)); }
      await c.close();
    }
    const a = await call(proxy, 'POST', `/${I}/_bulk?wait_for_active_shards=all&timeout=1s`, `{"create":{"_id":"z1"}}\n${JSON.stringify({ title: 'z' })}\n`);
    const d = await call(engine, 'POST', `/${I}/_bulk?wait_for_active_shards=all&timeout=1s`, `{"create":{"_id":"z2"}}\n${JSON.stringify({ title: 'z' })}\n`);
    console.log(s, label, 'raw bulk', a.status, d.status, strip(a.json).replace(/z1/g, 'z') === strip(d.json).replace(/z2/g, 'z') ? 'SAME' : `DIFF\n  ${a.text.slice(0, 500)}\n  ${d.text.slice(0, 500)}`);
    if (label === 'wb') await call(engine, 'PUT', `/${I}/_settings`, { 'index.blocks.write': null });
    await call(engine, 'DELETE', `/${I}`);
  }
}
