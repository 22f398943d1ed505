/**
 * Writes through an alias whose own name no pipeline pattern covers get what a write to the index
 * behind it gets: a document written with `_doc`, `_create`, `_update`, `/{alias}/_bulk` or a
 * `_bulk` action naming the alias is stored with its feature record. Before (held-out probe round
 * 5) such writes were forwarded untouched and stored without records (or vectors), silently; a
 * write to a plain index of no pipeline is still forwarded as received. Real Elasticsearch 8.19 and
 * OpenSearch 2.19, the mapping `index setup` makes, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { parseRecord, unpackRecord } from '../../../src/index.js';
import { startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'kb-alias-it'; // the knowledge-base pipeline's pattern (kb-*): records in the index
const ALIAS = 'articles-alias-it'; // a name no pattern covers
const PLAIN = 'plain-alias-it';

describe.each(['elasticsearch', 'opensearch'] as const)('writes through an alias keep feature records (%s)', (engine) => {
  let p: SearchProxy;
  const send = (method: string, path: string, body: string, ct = 'application/json') => fetch(`${p.url}${path}`, { method, headers: { 'content-type': ct }, body });
  const ndjson = (lines: object[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

  async function hasRecord(id: string): Promise<boolean> {
    const r = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 1, _source: false, stored_fields: ['vlrerank_features'], query: { ids: { values: [id] } } });
    const hit = r.body.hits.hits[0];
    expect(hit, `${id} is stored`).toBeDefined();
    const raw = hit.fields?.vlrerank_features;
    return raw !== undefined && parseRecord(unpackRecord(raw)).record !== undefined;
  }

  beforeAll(async () => {
    p = await startSearchProxy(engine);
    for (const i of [INDEX, PLAIN]) await p.engine.json('DELETE', `/${i}`);
    await setupIndex(p.engine, p.pipelines.get('knowledge-base')!, INDEX);
    expect((await p.engine.json('POST', '/_aliases', { actions: [{ add: { index: INDEX, alias: ALIAS } }] })).statusCode).toBe(200);
  });
  afterAll(async () => {
    for (const i of [INDEX, PLAIN]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  it('_doc, _create, _update and _bulk through the alias store records; a plain index is untouched', async () => {
    const doc = (t: string) => JSON.stringify({ title: t, text: `${t} and its effect on adults` });
    expect((await send('PUT', `/${ALIAS}/_doc/d1?refresh=true`, doc('vitamin D'))).status).toBe(201);
    expect((await send('PUT', `/${ALIAS}/_create/c1?refresh=true`, doc('zinc'))).status).toBe(201);
    const bulk = ndjson([{ index: { _index: ALIAS, _id: 'b1' } }, JSON.parse(doc('iron')), { index: { _index: PLAIN, _id: 'p1' } }, { title: 'plain' }]);
    const b1 = (await (await send('POST', '/_bulk?refresh=true', bulk, 'application/x-ndjson')).json()) as any;
    expect(b1.errors).toBe(false);
    const b2 = (await (await send('POST', `/${ALIAS}/_bulk?refresh=true`, ndjson([{ create: { _id: 'b2' } }, JSON.parse(doc('magnesium'))]), 'application/x-ndjson')).json()) as any;
    expect(b2.errors).toBe(false);
    // a document stored without a record (directly), then updated through the alias: the merged document gets one
    await p.engine.json('PUT', `/${INDEX}/_doc/u1?refresh=true`, { title: 'calcium' });
    expect(await hasRecord('u1')).toBe(false);
    expect((await send('POST', `/${ALIAS}/_update/u1?refresh=true`, JSON.stringify({ doc: { text: 'calcium and bones' } }))).status).toBe(200);

    for (const id of ['d1', 'c1', 'b1', 'b2', 'u1']) expect(await hasRecord(id), `${id} has its feature record`).toBe(true);
    const plain = await p.engine.json<any>('GET', `/${PLAIN}/_doc/p1`);
    expect(plain.body._source).toEqual({ title: 'plain' });
  });
});
