/**
 * Updates of a data stream's documents, which the stream itself refuses (it takes only `create`s):
 * they go to the backing index the hits name (`.ds-<stream>-…`). Held-out probe round 11a: no
 * pipeline pattern covers a backing index's name, so an `_update` there (or a `_bulk` update naming
 * it) was forwarded untouched and the engine, rebuilding the document from `_source`, dropped its
 * feature record, unsaid — each later search computed it. Now a backing index writes with its
 * stream's pipeline: the updated document keeps a record of what it now says; a search naming the
 * backing index is reranked by the stream's pipeline (it was a 400 "no pipeline covers"). OpenSearch 2.19 (the
 * thin Elasticsearch builds cannot delete a data stream; the behaviour there was the same by hand).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientBulk, clientSearch, osClient, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const FIELD = 'vlrerank_features';
const KEY = `${FIELD}_key`;
const STREAM = 'p11a-dsb-events';
const PIPELINES = { 'p11a-dsb.yaml': `name: p11a-dsb\nindex_patterns: [p11a-dsb-*]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index}\n` };
const ts = '2026-12-05T00:00:00Z';

describe('updates in a data stream’s backing index keep records (opensearch)', () => {
  let p: SearchProxy;
  const clean = async () => {
    await p.engine.json('DELETE', `/_data_stream/${STREAM}`);
    await p.engine.json('DELETE', '/_index_template/p11a-dsb');
  };
  beforeAll(async () => {
    p = await startSearchProxy('opensearch', { pipelinesDir: pipelinesDir(PIPELINES) });
    await clean();
    const t = await p.engine.json('PUT', '/_index_template/p11a-dsb', { index_patterns: [`${STREAM}*`], data_stream: {}, priority: 500, template: { mappings: { _source: { excludes: [FIELD, KEY] }, properties: { '@timestamp': { type: 'date' }, title: { type: 'text' }, [FIELD]: { type: 'binary', store: true }, [KEY]: { type: 'keyword' } } } } });
    expect(t.statusCode).toBe(200);
  }, 300_000);
  afterAll(async () => {
    if (p) await clean();
    await p?.close();
  });

  it('_update and a _bulk update naming the backing index: the records describe the updated documents', { timeout: 300_000 }, async () => {
    const b = await clientBulk('opensearch', p.url, ['red apple', 'green pear'].flatMap((title, i) => [{ create: { _index: STREAM, _id: `e${i}` } }, { '@timestamp': ts, title }]));
    expect(b.errors).toBe(false);
    expect(b.vlrerank).toMatchObject({ documents_with_feature_records: 2 });
    const backing = (Object.values(b.items[0])[0] as any)._index as string;
    expect(backing).toMatch(/^\.ds-p11a-dsb-events-0+1$/);
    const u = await osClient(p.url).update({ index: backing, id: 'e0', body: { doc: { title: 'oat milk latte' } }, refresh: true });
    expect(u.body.result).toBe('updated');
    const bu = await clientBulk('opensearch', p.url, [{ update: { _index: backing, _id: 'e1' } }, { doc: { title: 'oat milk foam' } }]);
    expect(bu.errors).toBe(false);
    const kept = await p.engine.json<any>('POST', `/${STREAM}/_count`, { query: { exists: { field: KEY } } });
    expect(kept.body.count).toBe(2); // the engine's update dropped both records
    const r = await clientSearch('opensearch', p.url, { index: STREAM, body: { size: 2, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'oat milk' }, explain: true } } } });
    expect(r.vlrerank.degraded).toBe(false);
    for (const h of r.hits.hits) expect(h._vlrerank.explanation.features).toEqual({ text: 'index' });
    // the records are of the updated texts: the scores of those texts scored alone
    const alone = await (await fetch(`${p.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'oat milk', documents: ['oat milk latte', 'oat milk foam'] }) })).json();
    const want = Object.fromEntries(alone.results.map((x: any) => [x.index === 0 ? 'oat milk latte' : 'oat milk foam', x.relevance_score]));
    for (const h of r.hits.hits) expect(Math.abs(h._score - want[h._source.title])).toBeLessThan(0.02);
    // a search naming the backing index, as the hits do: the stream's pipeline (was a 400 "no pipeline covers")
    const byBacking = await clientSearch('opensearch', p.url, { index: backing, body: { size: 2, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'oat milk' }, explain: true } } } });
    expect(byBacking.vlrerank.pipeline).toBe('p11a-dsb');
    expect(byBacking.hits.hits.map((h: any) => [h._id, h._score])).toEqual(r.hits.hits.map((h: any) => [h._id, h._score]));
  });
});
