/**
 * A compressed `_bulk` gets what a plain one gets: the official clients' `compression` option
 * (opensearch-js `compression: 'gzip'`, the ES client's `compression: true`) compresses every
 * `_bulk` — `helpers.bulk` included — and vlrerank forwarded those bodies as sent, so their
 * documents were stored without feature records (or vectors), unsaid (held-out probe round 11c).
 * Now gzip, deflate and br bodies are decoded on their way and sent on uncompressed; a body that is
 * not what its coding says is a 400 naming the coding, nothing stored (OpenSearch, sent such a
 * body directly, closes the connection without an answer). Real OpenSearch 2.19 and 3.6 and
 * Elasticsearch 8.19, their official clients, the real text model.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as EsClient } from '@elastic/elasticsearch';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { setupIndex } from '../../../src/engine/mapping.js';
import { parseRecord, unpackRecord } from '../../../src/index.js';
import { isElasticsearch, pipelinesDir, startSearchProxy, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p11c-gz-it';
const PIPELINE = `name: p11c-gz
index_patterns: [p11c-gz-*]
fields:
  text: [title, text]
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 20, max: 50 }
failure: fail_open
features: { store: index }
`;

const docs = ['vitamin D and bone density', 'zinc and the common cold', 'iron and anaemia', 'magnesium and sleep'].map((t, i) => ({ id: `h${i}`, title: t, text: `${t}: a study in adults` }));

describe.each(['opensearch', 'opensearch3', 'elasticsearch'] as Engine[])('a compressed _bulk keeps feature records (%s)', (engine) => {
  let p: SearchProxy;

  async function withRecord(ids: string[]): Promise<string[]> {
    const r = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 100, _source: false, stored_fields: ['vlrerank_features'], query: { ids: { values: ids } } });
    return r.body.hits.hits.filter((h: any) => h.fields?.vlrerank_features !== undefined && parseRecord(unpackRecord(h.fields.vlrerank_features)).record !== undefined).map((h: any) => h._id).sort();
  }
  const raw = (body: Buffer, coding: string) =>
    fetch(`${p.url}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': coding }, body: new Uint8Array(body) });
  const ndjson = (id: string, title: string) => Buffer.from(`${JSON.stringify({ index: { _id: id } })}\n${JSON.stringify({ title, text: `${title} in adults` })}\n`);

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'p11c-gz.yaml': PIPELINE }) });
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('p11c-gz')!, INDEX);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it("the official client's compressed helpers.bulk stores every document with its record", async () => {
    if (isElasticsearch(engine)) {
      const client = new EsClient({ node: p.url, compression: true, requestTimeout: 600_000 });
      const r = await client.helpers.bulk({ datasource: docs, onDocument: (d) => ({ index: { _index: INDEX, _id: d.id } }), refreshOnCompletion: true });
      expect(r.successful).toBe(docs.length);
    } else {
      const client = new OsClient({ node: p.url, compression: 'gzip', requestTimeout: 600_000 });
      const r = await client.helpers.bulk({ datasource: docs, onDocument: (d: any) => ({ index: { _index: INDEX, _id: d.id } }), refreshOnCompletion: true });
      expect(r.successful).toBe(docs.length);
    }
    expect(await withRecord(docs.map((d) => d.id))).toEqual(docs.map((d) => d.id).sort());
  });

  it('gzip, deflate and br bodies are decoded: records added, the summary says so', async () => {
    for (const [coding, encode] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
      const res = await raw(encode(ndjson(`c-${coding}`, `${coding} coded abstract`)), coding);
      expect(res.status, coding).toBe(200);
      const body = (await res.json()) as any;
      expect(body.errors, coding).toBe(false);
      expect(body.vlrerank?.documents_with_feature_records, coding).toBe(1);
    }
    expect(await withRecord(['c-gzip', 'c-deflate', 'c-br'])).toEqual(['c-br', 'c-deflate', 'c-gzip']);
  });

  it('a body that decodes past 100 MiB (a gzip bomb) is a 413; nothing is stored', async () => {
    // 101 MiB of one document's text, a few hundred KB gzipped: the line would be held whole
    const big = Buffer.concat([Buffer.from(`${JSON.stringify({ index: { _id: 'bomb' } })}\n{"title":"`), Buffer.alloc(101 * 1024 * 1024, 97), Buffer.from('"}\n')]);
    const res = await raw(gzipSync(big), 'gzip');
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.reason).toContain('decompresses to more than');
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    expect((await p.engine.json<any>('GET', `/${INDEX}/_doc/bomb`)).statusCode).toBe(404);
  });

  it('a body that is not what its coding says is a 400 naming the coding; nothing is stored', async () => {
    const res = await raw(Buffer.concat([gzipSync(ndjson('bad1', 'first')).subarray(0, 20), Buffer.from('not gzip')]), 'gzip');
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.reason).toContain('gzip');
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    expect((await p.engine.json<any>('GET', `/${INDEX}/_doc/bad1`)).statusCode).toBe(404);
  });
});
