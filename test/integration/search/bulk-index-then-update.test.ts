/**
 * An `index` and then an `update` of the same id in one `_bulk`, through the proxy with the official
 * clients (Elasticsearch 8.19, OpenSearch 2.19). The update's record was computed from the engine's
 * stored document — not there yet, the engine applies the body after vlrerank rewrote it — so it
 * described the partial `doc` alone: no text part, and every search embedded the text again
 * (held-out probe round 8a). Now the update's record describes the document the body's own `index`
 * left, merged with the partial `doc`: the stored record holds the text part of the merged text, and
 * a reranked search computes nothing for it (its explanation's features say `index`). A `delete`
 * then an `update` with `doc_as_upsert` in one body: the record of the upserted document alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentId, unpackRecord } from '../../../src/features/record/index.js';
import { documentFromSource } from '../../../src/pipelines/document.js';
import { clientBulk, clientSearch, ENGINES, freshIndex, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'kb-r9-bulk-update';
const FIELD = 'vlrerank_features';

describe.each(ENGINES)('index then update of one id in one _bulk on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await freshIndex(p, p.pipelines.get('knowledge-base')!, INDEX);
    await p.engine.json('PUT', `/${INDEX}/_doc/3?refresh=true`, { title: 'gone soon', text: 'a document deleted in the body' });
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  const record = async (id: string) => {
    const r = await p.engine.json<any>('POST', `/${INDEX}/_search`, { query: { ids: { values: [id] } }, stored_fields: [FIELD], _source: true });
    const h = r.body.hits.hits[0];
    return { source: h._source, record: unpackRecord(h.fields?.[FIELD]) as any };
  };

  it('the update stores the record of the merged document, and a search computes nothing', { timeout: 300_000 }, async () => {
    const bulk = await clientBulk(engine, p.url, [
      { index: { _index: INDEX, _id: '1' } },
      { title: 'Oat milk', text: 'a drink made from oats and water', price: 2 },
      { update: { _index: INDEX, _id: '1' } },
      { doc: { price: 3 } },
      { index: { _index: INDEX, _id: '2' } },
      { title: 'Red apple', text: 'a crisp fruit' },
      { update: { _index: INDEX, _id: '2' } },
      { doc: { title: 'Green apple' } },
      { delete: { _index: INDEX, _id: '3' } },
      { update: { _index: INDEX, _id: '3' } },
      { doc: { title: 'Back again', text: 'upserted after its delete' }, doc_as_upsert: true },
    ]);
    expect(bulk.errors).toBe(false);
    const one = await record('1');
    expect(one.source).toEqual({ title: 'Oat milk', text: 'a drink made from oats and water', price: 3 });
    const textOf = (source: object) => contentId(documentFromSource(source, p.pipelines.get('knowledge-base')!)!.text!);
    expect(one.record.text.h).toBe(textOf(one.source));
    const two = await record('2');
    expect(two.source.title).toBe('Green apple');
    expect(two.record.text.h).toBe(textOf(two.source));
    const three = await record('3');
    expect(three.source).toEqual({ title: 'Back again', text: 'upserted after its delete' });
    expect(three.record.text.h).toBe(textOf(three.source));
    const r = await clientSearch(engine, p.url, { index: INDEX, body: { size: 3, query: { match_all: {} }, ext: { vlrerank: { query: 'oat drink', explain: true } } } });
    expect(r.vlrerank.degraded).toBe(false);
    expect(r.hits.hits).toHaveLength(3);
    for (const h of r.hits.hits) expect(h._vlrerank.explanation.features).toEqual({ text: 'index' });
    expect(r.hits.hits[0]._id).toBe('1');
  });
});
