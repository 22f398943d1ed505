/**
 * Writes through a rollover alias and into a data stream after a rollover (held-out probe round
 * 11a): the name stands for several indices, and records are kept by the mapping of the one a
 * write lands in — the alias's write index, the stream's newest backing index — not by whichever
 * the engine's `_mapping` answer lists first:
 * - rolled over from an index without the record field into one whose template maps it: records
 *   from then on, reranked from them;
 * - rolled over from an index keeping records into one that does not map the field: no record
 *   (mapped by guess it would sit in every reader's `_source`).
 * Elasticsearch 8.19 and OpenSearch 2.19 (the data stream on OpenSearch: the thin Elasticsearch
 * builds cannot delete one), their official clients, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientBulk, clientSearch, ENGINES, isElasticsearch, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const FIELD = 'vlrerank_features';
const KEY = `${FIELD}_key`;
const PIPELINES = { 'p11a-ro.yaml': `name: p11a-ro\nindex_patterns: [p11a-ro-*]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index}\n` };
const ALIAS = 'p11a-rollme'; // no pattern covers it: its write index's pipeline ingests
const STREAM = 'p11a-ro-stream';
const withRecords = { _source: { excludes: [FIELD, KEY] }, properties: { title: { type: 'text' }, [FIELD]: { type: 'binary', store: true }, [KEY]: { type: 'keyword' } } };
const ask = { size: 10, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'oat milk' }, explain: true } } };

describe.each(ENGINES)('writes after a rollover, on %s', (engine) => {
  let p: SearchProxy;
  const clean = async () => {
    // by name: Elasticsearch refuses wildcard deletes (action.destructive_requires_name)
    for (const i of ['p11a-ro-a-000001', 'p11a-ro-a-000002', 'p11a-ro-b-000001', 'p11a-ro-b-000002']) await p.engine.json('DELETE', `/${i}`);
    if (!isElasticsearch(engine)) await p.engine.json('DELETE', `/_data_stream/${STREAM}`);
    for (const t of ['p11a-ro-a', 'p11a-ro-b', 'p11a-ro-ds']) await p.engine.json('DELETE', `/_index_template/${t}`);
  };
  const write = async (index: string, title: string, op = 'index') => {
    const b = await clientBulk(engine, p.url, [{ [op]: { _index: index } }, op === 'create' ? { '@timestamp': '2026-12-05T00:00:00Z', title } : { title }]);
    expect(b.errors).toBe(false);
    return b;
  };
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
    await clean();
  }, 300_000);
  afterAll(async () => {
    if (p) await clean();
    await p?.close();
  });

  it('an alias rolled over into an index whose template maps the record: records from then on', { timeout: 300_000 }, async () => {
    expect((await p.engine.json('PUT', '/p11a-ro-a-000001', { aliases: { [ALIAS]: { is_write_index: true } } })).statusCode).toBe(200);
    expect((await write(ALIAS, 'oat milk')).vlrerank).toBeUndefined(); // no record field: nothing added
    expect((await p.engine.json('PUT', '/_index_template/p11a-ro-a', { index_patterns: ['p11a-ro-a-*'], priority: 500, template: { mappings: withRecords } })).statusCode).toBe(200);
    expect((await p.engine.json('POST', `/${ALIAS}/_rollover`)).statusCode).toBe(200);
    expect((await write(ALIAS, 'oat drink')).vlrerank).toMatchObject({ documents_with_feature_records: 1 });
    const r = await clientSearch(engine, p.url, { index: ALIAS, body: ask });
    const features = Object.fromEntries(r.hits.hits.map((h: any) => [h._source.title, h._vlrerank.explanation.features.text]));
    expect(features['oat drink']).toBe('index');
    expect(features['oat milk']).not.toBe('index');
  });

  it('an alias rolled over from an index keeping records into one that does not map them: no record in _source', { timeout: 300_000 }, async () => {
    const alias = `${ALIAS}-b`;
    expect((await p.engine.json('PUT', '/p11a-ro-b-000001', { aliases: { [alias]: { is_write_index: true } }, mappings: withRecords })).statusCode).toBe(200);
    expect((await write(alias, 'oat milk')).vlrerank).toMatchObject({ documents_with_feature_records: 1 });
    expect((await p.engine.json('POST', `/${alias}/_rollover`)).statusCode).toBe(200);
    const b = await write(alias, 'oat drink');
    expect(b.vlrerank).toBeUndefined();
    const id = (Object.values(b.items[0])[0] as any)._id;
    const stored = await p.engine.json<any>('GET', `/p11a-ro-b-000002/_doc/${id}`);
    expect(stored.body._source).toEqual({ title: 'oat drink' });
  });

  it.runIf(!isElasticsearch(engine))('a data stream rolled over after its template got the record field: records in the new backing index', { timeout: 300_000 }, async () => {
    const tpl = (mappings: object) => p.engine.json('PUT', '/_index_template/p11a-ro-ds', { index_patterns: [`${STREAM}*`], data_stream: {}, priority: 500, template: { mappings } });
    expect((await tpl({ properties: { '@timestamp': { type: 'date' }, title: { type: 'text' } } })).statusCode).toBe(200);
    expect((await write(STREAM, 'oat milk', 'create')).vlrerank).toBeUndefined();
    expect((await tpl({ ...withRecords, properties: { ...withRecords.properties, '@timestamp': { type: 'date' } } })).statusCode).toBe(200);
    expect((await p.engine.json('POST', `/${STREAM}/_rollover`)).statusCode).toBe(200);
    expect((await write(STREAM, 'oat drink', 'create')).vlrerank).toMatchObject({ documents_with_feature_records: 1 });
    const r = await clientSearch(engine, p.url, { index: STREAM, body: ask });
    const features = Object.fromEntries(r.hits.hits.map((h: any) => [h._source.title, h._vlrerank.explanation.features.text]));
    expect(features['oat drink']).toBe('index');
  });
});
