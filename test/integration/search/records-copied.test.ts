/**
 * Indices holding feature records copied and kept as teams copy and keep them (held-out probe
 * round 17b):
 * - a blue/green re-index by a client (a scroll of `_source` plus the record, asked as the stored
 *   field it is, then `_bulk` through the proxy): into an index made by `index setup` the carried
 *   records are kept and used; into an index that keeps none (auto-created by the copy) they were
 *   stored as sent — base64 mapped by guess as `text`, shown in every `_source`, never read, and
 *   that mapping kept records out of the index for good (`dynamic: strict`: every document refused).
 *   Now left out, each item saying why;
 * - an index whose mapping keeps no `_source` (`_source: {enabled: false}`): a reranked search with
 *   `_source: false` was the engine's 400 ("unable to fetch fields from _source field" — vlrerank
 *   widened it to the pipeline's fields) where the engine answers the client's search 200. Now
 *   reranked from the records; a client's own `_source` filter still gets the engine's 400.
 * Real engines (Elasticsearch 8.19, OpenSearch 2.19), their official clients, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientBulk, clientSearch, clientSearchRaw, ENGINES, esClient, freshIndex, isElasticsearch, osClient, pipelinesDir, startSearchProxy, SWEET_DOCS, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const FIELD = 'vlrerank_features';
const BLUE = 'p17b-rc-blue';
const GREEN = 'p17b-rc-green';
const AUTO = 'p17b-rc-auto';
const NOSRC = 'p17b-rc-nosrc';
const STRICT = 'p17b-rc-strict';
const PIPELINES = { 'p17b-rc.yaml': `${textPipeline('p17b-rc', 'p17b-rc-*', { default: true })}features: {store: index}\n` };
const items = (b: any) => b.items.map((i: any) => Object.values(i)[0] as any);
const sources = (body: any) => body.hits.hits.map((h: any) => h._vlrerank?.explanation?.features?.text);
const ask = { query: { match: { text: 'sweet' } }, ext: { vlrerank: { explain: true } } };

describe.each(ENGINES)('indices holding records copied and kept, on %s', (engine) => {
  let p: SearchProxy;
  const clean = async () => {
    for (const i of [BLUE, GREEN, AUTO, NOSRC, STRICT]) await p.engine.json('DELETE', `/${i}`);
  };
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
    await clean();
    await freshIndex(p, p.pipelines.get('p17b-rc')!, BLUE);
    const b = await clientBulk(engine, p.url, SWEET_DOCS.flatMap((d, i) => [{ index: { _index: BLUE, _id: String(i) } }, d]));
    expect(b.vlrerank).toMatchObject({ documents_with_feature_records: SWEET_DOCS.length });
  }, 300_000);
  afterAll(async () => {
    if (p) await clean();
    await p?.close();
  });

  /** The client's copy: each document's `_source` and its record, as the stored field is asked for. */
  const carried = async () => {
    const r = await clientSearch(engine, p.url, { index: BLUE, body: { size: 100, sort: ['_doc'], stored_fields: ['_source', FIELD] } });
    expect(r.hits.hits).toHaveLength(SWEET_DOCS.length);
    return r.hits.hits.map((h: any) => ({ id: h._id, doc: { ...h._source, [FIELD]: h.fields[FIELD][0] } }));
  };

  it('carried into an index made by index setup: kept, and the search reranks from them', { timeout: 300_000 }, async () => {
    await freshIndex(p, p.pipelines.get('p17b-rc')!, GREEN);
    const copy = await carried();
    const b = await clientBulk(engine, p.url, copy.flatMap((c: any) => [{ index: { _index: GREEN, _id: c.id } }, c.doc]));
    expect(b.errors).toBe(false);
    const r = await clientSearch(engine, p.url, { index: GREEN, body: ask });
    expect(r.vlrerank.degraded).toBe(false);
    expect(sources(r).every((s: string) => s === 'index')).toBe(true);
    for (const h of r.hits.hits) expect(Object.keys(h._source).sort()).toEqual(['text', 'title']);
  });

  it('carried into an index that keeps none: left out of _source and the mapping, each item saying why', { timeout: 300_000 }, async () => {
    const copy = await carried();
    const b = await clientBulk(engine, p.url, copy.flatMap((c: any) => [{ index: { _index: AUTO, _id: c.id } }, c.doc]));
    expect(b.errors).toBe(false);
    for (const it of items(b)) expect(it.vlrerank?.error?.reason).toMatch(/feature record not kept: index \[p17b-rc-auto\] does not keep feature records/);
    const stored = await p.engine.json<any>('GET', `/${AUTO}/_doc/${copy[0].id}`);
    expect(stored.body._source).toEqual(SWEET_DOCS[Number(copy[0].id)]);
    const m = await p.engine.json<any>('GET', `/${AUTO}/_mapping`);
    expect(Object.keys(m.body[AUTO].mappings.properties)).not.toContain(FIELD);
    // a single document too
    const one = { title: 'maple syrup', text: 'sweet and sticky', [FIELD]: copy[0].doc[FIELD] };
    const w: any = isElasticsearch(engine) ? await esClient(p.url).index({ index: AUTO, id: 'one', document: one, refresh: true }) : (await osClient(p.url).index({ index: AUTO, id: 'one', body: one, refresh: true })).body;
    expect(w.result).toBe('created');
    expect(w.vlrerank?.error?.reason).toMatch(/feature record not kept/);
    expect((await p.engine.json<any>('GET', `/${AUTO}/_doc/one`)).body._source).toEqual({ title: 'maple syrup', text: 'sweet and sticky' });
    // `dynamic: strict` without the record field: the engine refused every copied document
    await p.engine.json('PUT', `/${STRICT}`, { mappings: { dynamic: 'strict', properties: { title: { type: 'text' }, text: { type: 'text' } } } });
    const s = await clientBulk(engine, p.url, copy.flatMap((c: any) => [{ index: { _index: STRICT, _id: c.id } }, c.doc]));
    expect(s.errors).toBe(false);
    expect((await p.engine.json<any>('POST', `/${STRICT}/_count`)).body.count).toBe(SWEET_DOCS.length);
  });

  it('an index keeping no _source: a reranked search with _source false is answered, from the records', { timeout: 300_000 }, async () => {
    const c = await p.engine.json('PUT', `/${NOSRC}`, { mappings: { _source: { enabled: false }, properties: { title: { type: 'text' }, text: { type: 'text' }, [FIELD]: { type: 'binary', store: true }, [`${FIELD}_key`]: { type: 'keyword' } } } });
    expect(c.statusCode).toBe(200);
    const b = await clientBulk(engine, p.url, SWEET_DOCS.flatMap((d, i) => [{ index: { _index: NOSRC, _id: String(i) } }, d]));
    expect(b.vlrerank).toMatchObject({ documents_with_feature_records: SWEET_DOCS.length });
    const direct = await clientSearchRaw(engine, p.engineUrl, { index: NOSRC, body: { _source: false, query: ask.query } });
    expect(direct.statusCode).toBe(200);
    const r = await clientSearchRaw(engine, p.url, { index: NOSRC, body: { ...ask, _source: false } });
    expect(r.statusCode).toBe(200);
    expect(r.body.vlrerank.degraded).toBe(false);
    expect(r.body.hits.hits.map((h: any) => h._id).sort()).toEqual(direct.body.hits.hits.map((h: any) => h._id).sort());
    expect(sources(r.body).every((s: string) => s === 'index')).toBe(true);
    // the client's own filter: the engine's refusal, as directly
    const own = { _source: ['title'], query: ask.query };
    const d2 = await clientSearchRaw(engine, p.engineUrl, { index: NOSRC, body: own });
    const r2 = await clientSearchRaw(engine, p.url, { index: NOSRC, body: own });
    expect([r2.statusCode, r2.body.error?.type]).toEqual([d2.statusCode, d2.body.error?.type]);
    expect(r2.statusCode).toBe(400);
  });
});
