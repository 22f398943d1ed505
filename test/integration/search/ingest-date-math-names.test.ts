/**
 * Held-out probe round 29b: a write to a date math index name — `<logs-{now/d}>`, the engines' way
 * to write into today's index — was forwarded untouched (no pipeline pattern matches `<…>`, and it
 * is no alias): the document was stored without its kNN vectors and feature record, unsaid; a
 * search of one whose index is not made yet was refused "no pipeline covers" (400) where the engine
 * answers 404. Now the pipeline registry matches the index the engine makes of the name
 * (util/date-math-name.ts): it ingests the document, through `_doc` (the official client's
 * encoding), `_bulk` actions and a `_bulk` path, and reranks the searches. Elasticsearch 8.19 and OpenSearch 2.19, real models, Grocery photos.
 * The index is yearly (`{now/y{yyyy}}`): made by `index setup` under the same expression first,
 * so only a run across midnight of New Year's Eve sees two indices.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { catalog, clientBulk, esClient, groceryDoc, isElasticsearch, osClient, photoIngestPipeline, pipelinesDir, startSearchProxy, ENGINES, type SearchProxy } from '../../helpers/search-fixtures.js';

const EXPR = '<p29b-t-dm-{now/y{yyyy}}>';

describe.each(ENGINES)('writes to a date math index name, on %s', (engine) => {
  let p: SearchProxy;
  let index: string;
  // by name: Elasticsearch refuses to delete a wildcard (action.destructive_requires_name)
  const dropAll = async () => {
    for (const name of Object.keys((await p.engine.json<Record<string, unknown>>('GET', '/p29b-t-dm-*/_mapping')).body)) await p.engine.json('DELETE', `/${name}`);
  };

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'p29bdm.yaml': photoIngestPipeline('p29bdm', 'p29b-t-dm-*') }) });
    await dropAll();
    await setupIndex(p.engine, p.pipelines.get('p29bdm')!, EXPR);
    index = Object.keys((await p.engine.json<Record<string, unknown>>('GET', '/p29b-t-dm-*/_mapping')).body)[0]!;
    await p.reranker.warm.wait();
  }, 600_000);
  afterAll(async () => {
    if (p) await dropAll();
    await p?.close();
  });

  it('each write gets its vectors and feature record, in the index the engine made of the name', { timeout: 600_000 }, async () => {
    const doc = (i: number) => groceryDoc(catalog[i]!);
    const one = isElasticsearch(engine)
      ? await esClient(p.url).index({ index: EXPR, id: 'doc', document: doc(0), refresh: true })
      : (await osClient(p.url).index({ index: EXPR, id: 'doc', body: doc(0), refresh: true })).body;
    expect(one._index).toBe(index);
    const bulk = await clientBulk(engine, p.url, [{ index: { _index: EXPR, _id: 'bulk' } }, doc(1)]);
    expect(bulk.errors, JSON.stringify(bulk.items)).toBe(false);
    const path = await fetch(`${p.url}/${encodeURIComponent(EXPR)}/_bulk?refresh=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ create: { _id: 'path' } })}\n${JSON.stringify(doc(2))}\n`,
    });
    expect(((await path.json()) as any).errors).toBe(false);
    const got = await p.engine.json<any>('POST', `/${index}/_search`, { size: 10, stored_fields: ['vlrerank_features'], query: { exists: { field: 'image_vector' } } });
    const by = Object.fromEntries(got.body.hits.hits.map((h: any) => [h._id, h.fields?.vlrerank_features]));
    for (const id of ['doc', 'bulk', 'path']) expect(by[id], id).toBeDefined();
  });

  it('a search of the name is reranked by that pipeline; one of an index not made yet gets the engine\'s 404, not "no pipeline covers"', { timeout: 600_000 }, async () => {
    const search = (expr: string) => fetch(`${p.url}/${encodeURIComponent(expr)}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match_all: {} }, ext: { vlrerank: { query: { text: 'banana' } } } }) });
    const found = await search(EXPR);
    expect(found.status).toBe(200);
    expect(((await found.json()) as any).vlrerank.pipeline).toBe('p29bdm');
    const none = await search('<p29b-t-dm-{now/y{yyyy}}-none>');
    expect(none.status).toBe(404);
    expect(((await none.json()) as any).error.type).toBe('index_not_found_exception');
  });
});
