/**
 * `_msearch`, `_bulk` and single-document bodies of SMALL_BODY bytes and more are split and parsed in
 * the JSON worker thread (issue 13 §2). Through the real server, with the official Elasticsearch
 * client, a real Elasticsearch 8.19 and real models, they get what small bodies get: a large
 * `_msearch` answers its reranked sub-searches as a small one does and its plain ones as the engine
 * does; a large `_bulk` (a source line past SMALL_BODY) and a large `_doc` store the documents, with
 * the same vectors, that small ones store; a large `_msearch` whose NDJSON breaks a rule reaches the
 * engine as sent and gets the engine's own error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_BODY } from '../../../src/http/body.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { cosine } from '../../helpers/models.js';
import { catalog, clientBulk, esClient, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'tidy3h-ndjson';
let p: SearchProxy;
const grocery = (n: number) => groceryDoc(catalog[n]!);
/** A field that makes one line larger than SMALL_BODY without changing what a model reads (not a rerank or vector field). */
const notes = 'n'.repeat(SMALL_BODY + 1000);

beforeAll(async () => {
  // the shipped grocery pipeline (text and photo, vectors at ingest), for this test's index only
  const dir = pipelinesDir({ 'tidy3h.yaml': 'name: tidy3h\nindex_patterns: [tidy3h-*]\nfields: {text: [title, description], image: [image]}\nwindow: {default: 10, max: 50}\nbudget_ms: 300000\nvectors:\n  ingest: true\n  image: { field: image_vector, dims: 1280 }\n  bridge: { field: image_text_vector, dims: 384 }\n' });
  p = await startSearchProxy('elasticsearch', { pipelinesDir: dir });
  await p.engine.json('DELETE', `/${INDEX}`);
  await setupIndex(p.engine, p.pipelines.get('tidy3h')!, INDEX);
}, 300_000);
afterAll(async () => {
  await p?.engine.json('DELETE', `/${INDEX}`);
  await p?.close();
});

const source = async (id: string) => (await p.engine.json<any>('GET', `/${INDEX}/_doc/${id}`)).body._source;

describe('_bulk and _doc past SMALL_BODY', () => {
  it('store the documents, and vectors, that small ones store', async () => {
    const small = await clientBulk('elasticsearch', p.url, [0, 1].flatMap((n) => [{ index: { _index: INDEX, _id: `s${n}` } }, grocery(n)]));
    const big = await clientBulk('elasticsearch', p.url, [0, 1].flatMap((n) => [{ index: { _index: INDEX, _id: `b${n}` } }, n === 0 ? { ...grocery(n), notes } : grocery(n)]));
    expect(big.errors).toBe(false);
    expect(big.vlrerank).toEqual(small.vlrerank);
    expect(big.vlrerank.documents_with_vectors).toBe(2);
    const put = await fetch(`${p.url}/${INDEX}/_doc/d0?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...grocery(0), notes }) });
    expect(put.status).toBe(201);
    const s0 = await source('s0');
    for (const id of ['b0', 'd0']) {
      const got = await source(id);
      expect(got.notes).toBe(notes); // the long field stored as sent
      expect(got.title).toBe(s0.title);
      expect(cosine(got.image_vector, s0.image_vector)).toBeGreaterThan(0.9999);
      expect(cosine(got.image_text_vector, s0.image_text_vector)).toBeGreaterThan(0.9999);
    }
    expect(await source('b1')).toEqual(await source('s1'));
  });
});

describe('_msearch past SMALL_BODY', () => {
  const reranked = (q: string) => ({ size: 3, query: { match: { description: q } }, ext: { vlrerank: { query: q, window: 10 } } });
  const plain = (q: string) => ({ size: 2, query: { match: { title: q } } });

  it('answers reranked sub-searches as a small _msearch does, and plain ones as the engine does', async () => {
    const head = { index: INDEX };
    const fillers = Array.from({ length: Math.ceil(SMALL_BODY / 60) }, (_, i) => plain(`milk ${i}`));
    const small = [head, reranked('green apple'), head, plain('juice'), head, reranked('orange juice')];
    const large = [head, reranked('green apple'), head, plain('juice'), ...fillers.flatMap((f) => [head, f]), head, reranked('orange juice')];
    expect(large.map((x) => JSON.stringify(x)).join('\n').length).toBeGreaterThan(SMALL_BODY);
    const es = esClient(p.url);
    const a: any = await es.msearch({ searches: small } as never);
    const b: any = await es.msearch({ searches: large } as never);
    expect(b.responses).toHaveLength(3 + fillers.length);
    const ranked = (r: any) => r.hits.hits.map((h: any) => [h._id, h._score]);
    expect(b.responses[0].status).toBe(200);
    expect(b.responses[0].vlrerank.degraded).toBe(false);
    expect(ranked(b.responses[0])).toEqual(ranked(a.responses[0]));
    expect(ranked(b.responses.at(-1))).toEqual(ranked(a.responses[2]));
    const direct: any = await esClient(p.engineUrl).msearch({ searches: large.slice(2, -2) } as never);
    expect(b.responses.slice(1, -1).map((r: any) => r.hits)).toEqual(direct.responses.map((r: any) => r.hits));
  });

  it('a large _msearch whose NDJSON breaks a rule reaches the engine as sent', async () => {
    const nd = `{"index":"${INDEX}"}\n{"ext":{"vlrerank":{"query":"x"}},"query":{"match":{"title":"${'y'.repeat(SMALL_BODY)}"}}\n{"index":"${INDEX}"}\n{"size":1,\n`;
    const opts = { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd };
    const via = await fetch(`${p.url}/_msearch`, opts);
    const direct = await fetch(`${p.engineUrl}/_msearch`, opts);
    expect(via.status).toBe(direct.status);
    expect(await via.json()).toEqual(await direct.json());
  });
});
