/**
 * A partial update that changes nothing is the engine's `noop` through vlrerank too (`_update` and a
 * `_bulk` update action): same version, same seq_no, as when sent directly. Before (held-out probe
 * round 5) the feature record added to the partial `doc` (a stored field left out of `_source`,
 * so never equal to what is stored) made every such update a write: `result: updated`, a new
 * version and seq_no. An update that changes something still gets the merged document's record;
 * `detect_noop: false` is still a write. A `_bulk`'s summary counts only the records of documents
 * the engine stored (it counted refused ones too, same round). Real Elasticsearch 8.19 and OpenSearch 2.19, the real
 * text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { parseRecord, unpackRecord } from '../../../src/index.js';
import { startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'kb-noop-it'; // the knowledge-base pipeline's pattern: records in the index

describe.each(['elasticsearch', 'opensearch'] as const)('a partial update that changes nothing stays a noop (%s)', (engine) => {
  let p: SearchProxy;
  const post = (path: string, body: string, ct = 'application/json') => fetch(`${p.url}${path}`, { method: 'POST', headers: { 'content-type': ct }, body });
  const seqNo = async (id: string) => (await p.engine.json<any>('GET', `/${INDEX}/_doc/${id}`)).body._seq_no as number;
  async function recordText(id: string): Promise<string | undefined> {
    const r = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 1, _source: false, stored_fields: ['vlrerank_features'], query: { ids: { values: [id] } } });
    const raw = r.body.hits.hits[0]?.fields?.vlrerank_features;
    return raw === undefined ? undefined : parseRecord(unpackRecord(raw)).record?.text?.h;
  }

  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('knowledge-base')!, INDEX);
    const put = await fetch(`${p.url}/${INDEX}/_doc/n1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Vitamin D', text: 'vitamin D deficiency in adults' }) });
    expect(put.status).toBe(201);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('_update and a _bulk update with the stored values answer noop; a change is written with its record', async () => {
    const before = await seqNo('n1');
    const recordBefore = await recordText('n1');
    expect(recordBefore).toBeDefined();
    const same = { doc: { title: 'Vitamin D' } };
    const u = (await (await post(`/${INDEX}/_update/n1?refresh=true`, JSON.stringify(same))).json()) as any;
    expect(u.result).toBe('noop');
    const b = (await (await post(`/${INDEX}/_bulk?refresh=true`, `${JSON.stringify({ update: { _id: 'n1' } })}\n${JSON.stringify(same)}\n`, 'application/x-ndjson')).json()) as any;
    expect(b.items[0].update.result).toBe('noop');
    expect(await seqNo('n1')).toBe(before);
    expect(await recordText('n1')).toBe(recordBefore);

    // detect_noop: false asks for a write, as directly
    const forced = (await (await post(`/${INDEX}/_update/n1?refresh=true`, JSON.stringify({ ...same, detect_noop: false }))).json()) as any;
    expect(forced.result).toBe('updated');

    const changed = (await (await post(`/${INDEX}/_update/n1?refresh=true`, JSON.stringify({ doc: { text: 'vitamin D and bone health' } }))).json()) as any;
    expect(changed.result).toBe('updated');
    const after = await recordText('n1');
    expect(after).toBeDefined();
    expect(after).not.toBe(recordBefore);
  });

  it("a _bulk's summary counts only the records of documents the engine stored (a create twice, an if_seq_no conflict)", async () => {
    const lines = [{ create: { _id: 'twice' } }, { title: 'Zinc', text: 'zinc and immunity' }, { create: { _id: 'twice' } }, { title: 'Zinc', text: 'zinc again' }, { index: { _id: 'cas', if_seq_no: 999, if_primary_term: 1 } }, { title: 'x', text: 'y' }];
    const b = (await (await post(`/${INDEX}/_bulk?refresh=true`, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`, 'application/x-ndjson')).json()) as any;
    expect(b.items.map((i: any) => Object.values(i)[0] as any).map((r: any) => r.status)).toEqual([201, 409, 409]);
    expect(b.vlrerank.documents_with_feature_records).toBe(1);
  });
});
