/**
 * A partial `_update` of a routed document (`?routing=` on `_update`, `routing` in a `_bulk` update
 * action, or a `_bulk`'s own `?routing=`) on an index of several shards gets the feature record of
 * the whole merged document, as an unrouted one does. Before (held-out probe round 4), vlrerank read
 * the stored document without the routing, did not find it on the default shard, and wrote a record
 * of the partial `doc` alone: no image features, the text of the new field only. Real Elasticsearch
 * 8.19 (an index of 3 shards with the mapping `index setup` makes) and real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShardedIndex, routingOffShard } from '../../helpers/sharded-index.js';
import { parseRecord, unpackRecord, type FeatureRecord } from '../../../src/index.js';
import { catalog, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-routing-it';
const engine = 'elasticsearch' as const;

describe('partial updates of routed documents keep whole feature records (Elasticsearch 8.19, 3 shards)', () => {
  let p: SearchProxy;
  const routings: Record<string, string> = {};

  const doc = { title: groceryDoc(catalog[2]!).title, image: groceryDoc(catalog[2]!).image };
  const partial = { doc: { description: 'sweet, mellow and crisp' } };
  const put = (path: string, body: string, ct = 'application/json') => fetch(`${p.url}${path}`, { method: path.includes('_bulk') || path.includes('_update') ? 'POST' : 'PUT', headers: { 'content-type': ct }, body });

  async function record(id: string): Promise<FeatureRecord> {
    const r = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 1, _source: false, stored_fields: ['vlrerank_features'], query: { ids: { values: [id] } } });
    const parsed = parseRecord(unpackRecord(r.body.hits.hits[0]?.fields?.vlrerank_features));
    expect(parsed.record, `${id}: ${parsed.invalid}`).toBeDefined();
    return parsed.record!;
  }

  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await createShardedIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('_update?routing=, a routed _bulk update action and _bulk?routing= describe the merged document', async () => {
    // the same document three times, each routed to another shard than its id's, and once unrouted
    const ids = ['routed', 'routed-bulk', 'routed-bulk-param'];
    for (const id of ids) {
      routings[id] = await routingOffShard(p.engine, INDEX, id);
      expect((await put(`/${INDEX}/_doc/${id}?routing=${routings[id]}&refresh=true`, JSON.stringify(doc))).status).toBe(201);
    }
    expect((await put(`/${INDEX}/_doc/plain?refresh=true`, JSON.stringify(doc))).status).toBe(201);

    expect((await put(`/${INDEX}/_update/routed?routing=${routings.routed}&refresh=true`, JSON.stringify(partial))).status).toBe(200);
    const bulk = (lines: object[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
    const b1 = await put(`/${INDEX}/_bulk?refresh=true`, bulk([{ update: { _id: 'routed-bulk', routing: routings['routed-bulk'] } }, partial]), 'application/x-ndjson');
    expect(((await b1.json()) as any).errors).toBe(false);
    const b2 = await put(`/${INDEX}/_bulk?routing=${routings['routed-bulk-param']}&refresh=true`, bulk([{ update: { _id: 'routed-bulk-param' } }, partial]), 'application/x-ndjson');
    expect(((await b2.json()) as any).errors).toBe(false);
    expect((await put(`/${INDEX}/_update/plain?refresh=true`, JSON.stringify(partial))).status).toBe(200);

    const whole = await record('plain');
    expect(whole.image).toBeDefined();
    for (const id of ids) {
      const r = await record(id);
      expect(r.image, `${id}: the record has the photo's features`).toBeDefined();
      expect(r.text?.h, `${id}: the record's text is the merged document's`).toBe(whole.text?.h);
    }
  });
});
