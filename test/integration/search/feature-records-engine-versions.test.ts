/**
 * The feature-record field on every engine version (Elasticsearch 8.19 and 9.2, OpenSearch 2.19
 * and 3.6): `index setup` maps it (binary, stored, out of `_source`), abstracts indexed through the
 * proxy with the official client get their record, a GET through the proxy shows exactly what the
 * engine shows (no record), and a reranked search takes each abstract's text vector from the index
 * and returns hits without the record. Text only (the knowledge-base pipeline): cheap on every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scifactDocs } from '../../helpers/scifact-docs.js';
import { ALL_ENGINES, clientBulk, clientSearch, freshIndex, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'kb-index-records-versions';
const FIELD = 'vlrerank_features';

describe.each(ALL_ENGINES)('feature records in the index on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    const r = await freshIndex(p, p.pipelines.get('knowledge-base')!, INDEX);
    expect(r.action).toBe('created');
    const operations = scifactDocs(4).flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text }]);
    const bulk = await clientBulk(engine, p.url, operations);
    expect(bulk.errors).toBe(false);
    expect(bulk.vlrerank).toMatchObject({ documents_with_feature_records: 4 });
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('maps the record field and keeps it out of what clients read', async () => {
    const m = (await p.engine.json<any>('GET', `/${INDEX}/_mapping`)).body[INDEX].mappings;
    expect(m.properties[FIELD]).toMatchObject({ type: 'binary', store: true });
    // the record and its signature (an indexed keyword: backfill's `term` query), both out of _source
    expect(m.properties[`${FIELD}_key`]).toMatchObject({ type: 'keyword' });
    expect(m._source.excludes).toEqual([FIELD, `${FIELD}_key`]);
    const id = scifactDocs(1)[0]!.id;
    const direct = (await p.engine.json<any>('GET', `/${INDEX}/_doc/${id}`)).body;
    expect(await (await fetch(`${p.url}/${INDEX}/_doc/${id}`)).json()).toEqual(direct);
    expect(direct._source[FIELD]).toBeUndefined();
    expect(direct._source[`${FIELD}_key`]).toBeUndefined();
  });

  it('reranks from the stored text vectors, hits without the record', { timeout: 300_000 }, async () => {
    const r = await clientSearch(engine, p.url, { index: INDEX, body: { size: 4, query: { match_all: {} }, ext: { vlrerank: { query: 'cancer cells', explain: true } } } });
    expect(r.vlrerank.degraded).toBe(false);
    expect(r.hits.hits).toHaveLength(4);
    for (const h of r.hits.hits) {
      expect(h._vlrerank.explanation.features).toEqual({ text: 'index' });
      expect(h.fields).toBeUndefined();
      expect(Object.keys(h._source).sort()).toEqual(['text', 'title']);
    }
  });
});
