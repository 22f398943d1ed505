/**
 * An index whose mapping keeps the pipeline's fields out of `_source` (`_source.excludes` naming
 * them, or a disabled `_source`) but whose documents, written through the proxy, keep their feature
 * record (a stored field: `stored_fields` reads it whatever `_source` keeps — checked here on
 * Elasticsearch 8.19 and 9.2, OpenSearch 2.19 and 3.6). Held-out probe round 8a answered such
 * indices with the first stage flagged `degraded: "failed"`; now the hits are reranked from their records alone:
 * no model run for the documents (explanations say `index`), the scores those of the same
 * documents scored on the fly from an index that shows their text (within 0.02, the int8 text
 * model's batch noise, PITFALLS.md). A hit without a record (written around the proxy) is left
 * unscored, named in its explanation and in `vlrerank.unscored`; with no usable record at all, the
 * first stage flagged as before, its reason naming the first hit and why. The official clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ENGINES, clientBulk, clientSearch, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const FIELD = 'vlrerank_features';
const KEY = `${FIELD}_key`;
const EXCLUDED = 'r9-src-excluded';
const DISABLED = 'r9-src-disabled';
const FLY = 'r9-fly-plain';
const docs = ['oat drink', 'oat milk barista edition', 'red apple', 'oat flakes with oat bran', 'oat milk chocolate'];
const PIPELINES = {
  'r9-src.yaml': `name: r9-src\nindex_patterns: [r9-src-*]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index}\n`,
  'r9-fly.yaml': `name: r9-fly\nindex_patterns: [r9-fly-*]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: none}\n`,
};
const props = { title: { type: 'text' }, sku: { type: 'keyword' }, [FIELD]: { type: 'binary', store: true }, [KEY]: { type: 'keyword' } };
const ask = (explain = true) => ({ size: 5, query: { match: { title: 'oat' } }, ext: { vlrerank: { query: { text: 'oat milk' }, explain } } });

describe.each(ALL_ENGINES)('pipeline fields out of _source, records kept, on %s', (engine) => {
  let p: SearchProxy;
  const put = async (index: string, source: Record<string, unknown>) => {
    await p.engine.json('DELETE', `/${index}`);
    const r = await p.engine.json('PUT', `/${index}`, { mappings: { _source: source, properties: props } });
    expect(r.statusCode).toBe(200);
    const bulk = await clientBulk(engine, p.url, docs.flatMap((t, i) => [{ index: { _index: index, _id: String(i) } }, { title: t, sku: `s${i}` }]));
    expect(bulk.errors).toBe(false);
    return bulk;
  };
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
    for (const [index, source] of [[EXCLUDED, { excludes: ['title', FIELD, KEY] }], [DISABLED, { enabled: false }]] as const) {
      const bulk = await put(index, source);
      expect(bulk.vlrerank).toMatchObject({ documents_with_feature_records: docs.length });
    }
    await put(FLY, {});
  }, 300_000);
  afterAll(async () => {
    for (const i of [EXCLUDED, DISABLED, FLY]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  for (const index of [EXCLUDED, DISABLED]) {
    it(`${index}: reranked from the records alone, the on-the-fly scores`, { timeout: 300_000 }, async () => {
      const fly = await clientSearch(engine, p.url, { index: FLY, body: ask() });
      expect(fly.vlrerank.degraded).toBe(false);
      const r = await clientSearch(engine, p.url, { index, body: ask() });
      expect(r.vlrerank.degraded).toBe(false);
      expect(r.vlrerank.unscored).toBeUndefined();
      expect(r.hits.hits).toHaveLength(4);
      const flyScore = new Map(fly.hits.hits.map((h: any) => [h._id, h._vlrerank.rerank_score]));
      for (const h of r.hits.hits) {
        expect(h._vlrerank.explanation.features).toEqual({ text: 'index' });
        expect(h.fields).toBeUndefined();
        expect(h._source?.title).toBeUndefined();
        expect(Math.abs(h._vlrerank.rerank_score - (flyScore.get(h._id) as number))).toBeLessThan(0.02);
      }
      expect(r.hits.hits.map((h: any) => h._id)).toEqual(fly.hits.hits.map((h: any) => h._id));
    });
  }

  it('a hit without a record is left unscored and named; with no record at all, the first stage flagged', { timeout: 300_000 }, async () => {
    // written around the proxy: no record
    await p.engine.json('PUT', `/${EXCLUDED}/_doc/9?refresh=true`, { title: 'oat milk oat milk', sku: 's9' });
    const r = await clientSearch(engine, p.url, { index: EXCLUDED, body: { ...ask(), size: 6 } });
    expect(r.vlrerank.degraded).toBe(false);
    expect(r.vlrerank.unscored).toEqual({ count: 1, first: 'hit [9]: none of the pipeline fields is in its _source and it has no feature record' });
    const nine = r.hits.hits.find((h: any) => h._id === '9');
    expect(nine._vlrerank.error).toMatch(/no feature record/);
    expect(r.hits.hits.at(-1)._id).toBe('9');
    const only = await clientSearch(engine, p.url, { index: EXCLUDED, body: { ...ask(), query: { ids: { values: ['9'] } } } });
    expect(only.vlrerank.degraded).toBe('failed');
    expect(only.vlrerank.reason).toMatch(/_source, nor a feature record usable alone \(first hit \[9\]: .*no feature record\)/);
    await p.engine.json('DELETE', `/${EXCLUDED}/_doc/9?refresh=true`);
  });
});
