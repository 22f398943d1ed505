/**
 * Each rerank syntax through the proxy with the engine's official client, against every engine
 * version (Elasticsearch 8.19 and 9.2, OpenSearch 2.19 and 3.6; each syntax is vlrerank's, so each
 * works in front of either engine), on the Grocery catalog indexed by the test (vectors added at
 * ingest) and a SciFact slice on an index whose pipeline reranks by default. Plain searches stay
 * byte-identical to direct.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA } from '../../helpers/paths.js';
import { ALL_ENGINES, clientSearch, clientSearchRaw, ensureGrocery, startSearchProxy, why, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';
const KB = 'kb-it';
const scifact = readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8').split('\n').slice(0, 20).filter(Boolean).map((l) => JSON.parse(l) as { _id: string; title: string; text: string });

function expectReranked(body: any, syntax: string): void {
  expect(body.vlrerank).toMatchObject({ syntax, degraded: false });
  expect(body.vlrerank.reason).toBeUndefined();
  expect(body.vlrerank.document_errors, why(body)).toBeUndefined();
  const scores = body.hits.hits.map((h: any) => h._score);
  expect(scores).toEqual([...scores].sort((a: number, b: number) => b - a));
  expect(body.hits.max_score).toBe(scores[0]);
  for (const s of scores) expect(s).toBeGreaterThanOrEqual(0);
}

describe.each(ALL_ENGINES)('rerank syntaxes through the proxy on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, INDEX);
    await p.engine.json('DELETE', `/${KB}`);
    const lines = scifact.flatMap((d) => [JSON.stringify({ index: { _index: KB, _id: d._id } }), JSON.stringify({ title: d.title, text: d.text })]).join('\n') + '\n';
    await p.engine.json('POST', '/_bulk?refresh=true', lines, { 'content-type': 'application/x-ndjson' });
    await p.reranker.warmup();
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${KB}`);
    await p?.close();
  });

  it('ext.vlrerank reranks a BM25 first stage and explains each hit', async () => {
    const body = await clientSearch(engine, p.url, {
      index: INDEX,
      body: { size: 5, query: { match: { description: 'apple' } }, ext: { vlrerank: { query: { text: 'a green, sour apple' }, window: 20, explain: true } } },
    });
    expectReranked(body, 'ext');
    expect(body.hits.hits[0]._id, why(body)).toBe('1'); // Granny Smith
    const h = body.hits.hits[0];
    expect(h._vlrerank).toMatchObject({ first_stage_rank: expect.any(Number), first_stage_score: expect.any(Number) });
    expect(h._vlrerank.explanation.signals.length).toBeGreaterThan(0);
    expect(body.vlrerank.timings.rerank_ms).toBeGreaterThan(0);
  });

  it("Elasticsearch's text_similarity_reranker retriever works in front of either engine", async () => {
    const body = await clientSearch(engine, p.url, {
      index: INDEX,
      body: {
        size: 3,
        retriever: {
          text_similarity_reranker: {
            retriever: { standard: { query: { match: { title: 'apple' } } } },
            field: 'description',
            inference_text: 'green apple with a clear acidity',
            rank_window_size: 20,
          },
        },
      },
    });
    expectReranked(body, 'retriever');
    expect(body.hits.hits[0]._id, why(body)).toBe('1');
    expect(body.vlrerank.window).toBe(20);
  });

  it("the retriever's field, one the pipeline reads, scores on all of the pipeline's text: the same hits and scores as search_pipeline", async () => {
    const first = { query: { match: { title: 'milk' } } };
    const text = 'oat drink without cow milk';
    const viaRetriever = await clientSearch(engine, p.url, {
      index: INDEX,
      body: { size: 5, retriever: { text_similarity_reranker: { retriever: { standard: first }, field: 'description', inference_text: text, rank_window_size: 50 } } },
    });
    const viaPipeline = await clientSearch(engine, p.url, { index: INDEX, search_pipeline: 'grocery', body: { size: 5, ...first, ext: { rerank: { query_context: { query_text: text } } } } });
    expectReranked(viaRetriever, 'retriever');
    expectReranked(viaPipeline, 'search_pipeline');
    expect(viaPipeline.vlrerank.window).toBe(50); // the pipeline's default, as the retriever asked
    const hits = (b: any) => b.hits.hits.map((h: any) => [h._id, h._score]);
    expect(hits(viaRetriever)).toEqual(hits(viaPipeline));
  });

  it("OpenSearch's search_pipeline with query_text and query_text_path", async () => {
    const a = await clientSearch(engine, p.url, {
      index: INDEX,
      search_pipeline: 'grocery',
      body: { size: 3, query: { match: { title: 'apple' } }, ext: { rerank: { query_context: { query_text: 'green apple with a clear acidity' } } } },
    });
    expectReranked(a, 'search_pipeline');
    // the green apple on top: text vectors no longer depend on the batch they were embedded in
    // (each text runs alone), so the record kept at ingest and a vector computed now are the same
    expect(a.hits.hits[0]._id, why(a)).toBe('1');
    const b = await clientSearch(engine, p.url, {
      index: INDEX,
      search_pipeline: 'grocery',
      body: { size: 3, query: { match: { description: { query: 'lactose free milk' } } }, ext: { rerank: { query_context: { query_text_path: 'query.match.description.query' } } } },
    });
    expectReranked(b, 'search_pipeline');
    expect(b.hits.hits[0]._id).toBe('39'); // Skimmed milk lactose free
  });

  it('a pipeline marked default reranks every full-text search on its index', async () => {
    const body = await clientSearch(engine, p.url, { index: KB, body: { size: 5, query: { match: { text: 'cells' } } } });
    expectReranked(body, 'default');
    expect(body.vlrerank.pipeline).toBe('knowledge-base');
    // opting out: the search goes to the engine as plain, without the ext block
    const q = { size: 5, query: { match: { text: 'cells' } } };
    const off = await clientSearch(engine, p.url, { index: KB, body: { ...q, ext: { vlrerank: { enabled: false } } } });
    const direct = await (await fetch(`${p.engineUrl}/${KB}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(q) })).json();
    expect({ ...off, took: 0 }).toEqual({ ...direct, took: 0 });
  });

  it('plain searches are forwarded untouched', async () => {
    const q = { size: 3, query: { match: { title: 'apple' } }, aggs: { cats: { terms: { field: 'top_category.keyword' } } } };
    const via = await clientSearch(engine, p.url, { index: INDEX, body: q });
    const direct = await (await fetch(`${p.engineUrl}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(q) })).json();
    expect({ ...via, took: 0 }).toEqual({ ...direct, took: 0 });
    expect(via.vlrerank).toBeUndefined();
  });

  it.each([
    [{ ext: { vlrerank: { query: 'milk', window: 'ten' } } }, '[ext.vlrerank.window]'],
    [{ ext: { vlrerank: { query: 'milk', bogus: 1 } } }, '[ext.vlrerank.bogus] unknown field'],
    [{ ext: { vlrerank: { query: {} } } }, '[ext.vlrerank.query]'],
    [{ query: { match: { title: 'milk' } }, sort: [{ class_id: 'asc' }], ext: { vlrerank: {} } }, '[sort]'],
    [{ query: { match: { title: 'milk' } }, ext: { vlrerank: { window: 1000 } } }, 'exceeds the maximum [200] of pipeline [grocery]'],
  ])('refuses %j with an ES-shaped 400', async (body, reason) => {
    const r = await clientSearchRaw(engine, p.url, { index: INDEX, body });
    expect(r.statusCode).toBe(400);
    expect(r.body).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception' } });
    expect(r.body.error.reason).toContain(reason);
  });

  // Elasticsearch 9 leaves vectors out of _source unless the search says `exclude_vectors: false`
  // (8.19 and OpenSearch do not know the option)
  it.runIf(engine === 'elasticsearch9')('a reranked search keeps _source.exclude_vectors: false as direct does', async () => {
    const query = { match: { description: 'apple' } };
    const direct = await (await fetch(`${p.engineUrl}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 2, query, _source: { exclude_vectors: false } }) })).json();
    expect(direct.hits.hits[0]._source.image_vector).toHaveLength(1280);
    const body = await clientSearch(engine, p.url, { index: INDEX, body: { size: 2, query, _source: { exclude_vectors: false }, ext: { vlrerank: { query: 'green apple', window: 10 } } } as any });
    expectReranked(body, 'ext');
    for (const h of body.hits.hits) expect(h._source.image_vector, why(body)).toHaveLength(1280);
  });
});
