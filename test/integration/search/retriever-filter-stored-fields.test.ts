/**
 * What a reranked search hands back must be what the engine would hand back for the same search
 * (held-out probe round 6):
 * - `retriever.text_similarity_reranker.filter` restricts the child retriever's hits, together with
 *   the child's own filter, as Elasticsearch documents it. It was silently dropped: every hit came
 *   back unfiltered, 200. Unknown keys of the retriever are refused as the engine refuses them;
 *   `_name` (every retriever's) is accepted on the reranker and on its `standard` child (it was a
 *   400 there, which the engine does not give).
 * - `stored_fields` (body or URL, even `[]`) without `_source` leaves `_source` out on every engine;
 *   a reranked search returned it. `?_source=true` replaces a body's `_source` filter. Naming
 *   `_source` among them asks for the whole `_source` (round 15e: a reranked search left it out).
 * - a `knn` child retriever's `k` bounds the hits the reranker gets (it was raised to the window).
 * - `ext.vlrerank` beside a plain `standard`/`knn` retriever reranks its hits: vlrerank added its own
 *   `query` beside the retriever and the engine refused the pair (400).
 * - `/{index}/_SEARCH` (any case but the engine's) is the engine's 400 "no handler found"; express's
 *   case-insensitive routing answered it with a reranked 200.
 * Real Elasticsearch 9.2 and OpenSearch 3.6, the knowledge-base pipeline, the real text model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-retriever-filter-it';
const DOCS = [
  { title: 'apple pie', text: 'a sweet apple pie baked with cinnamon', cat: 'fruit' },
  { title: 'red apple', text: 'a crisp red apple from the orchard', cat: 'fruit' },
  { title: 'apple laptop', text: 'a laptop computer made by apple', cat: 'tech' },
  { title: 'truck', text: 'a heavy truck hauling apple crates', cat: 'vehicle' },
  { title: 'apple cart', text: 'a wooden cart full of apple boxes', cat: 'vehicle' },
  { title: 'banana', text: 'a ripe banana', cat: 'fruit' },
];

async function post(url: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

const reranker = (extra: Record<string, unknown>, child: Record<string, unknown> = {}) => ({
  retriever: {
    text_similarity_reranker: { retriever: { standard: { query: { match: { text: 'apple' } }, ...child } }, field: 'text', inference_text: 'apple', ...extra },
  },
});
const cats = (b: any) => b.hits.hits.map((h: any) => DOCS[Number(h._id)]!.cat);

describe.each(['elasticsearch9', 'opensearch3'] as Engine[])('a reranked search answers as the engine would (%s)', (engine) => {
  let p: SearchProxy;
  const proxy = knowledgeBaseSuite(engine, INDEX, DOCS);
  beforeAll(() => {
    p = proxy();
  });

  it("the reranker's filter restricts its child's hits, with the child's own filter", async () => {
    const plain = await post(p.url, `/${INDEX}/_search`, reranker({}));
    expect(plain.status).toBe(200);
    expect(new Set(cats(plain.body))).toEqual(new Set(['fruit', 'tech', 'vehicle']));

    const filtered = await post(p.url, `/${INDEX}/_search`, reranker({ filter: { term: { 'cat.keyword': 'vehicle' } } }));
    expect(filtered.status, JSON.stringify(filtered.body)).toBe(200);
    expect(filtered.body.vlrerank.syntax).toBe('retriever');
    expect(cats(filtered.body)).toEqual(['vehicle', 'vehicle']);
    // the same as the filter given to the child retriever
    const inChild = await post(p.url, `/${INDEX}/_search`, reranker({}, { filter: { term: { 'cat.keyword': 'vehicle' } } }));
    expect(filtered.body.hits.hits.map((h: any) => [h._id, h._score])).toEqual(inChild.body.hits.hits.map((h: any) => [h._id, h._score]));

    // both filters apply: vehicle (top-level list) and "cart" (the child's)
    const both = await post(p.url, `/${INDEX}/_search`, reranker({ filter: [{ term: { 'cat.keyword': 'vehicle' } }] }, { filter: { match: { title: 'cart' } } }));
    expect(both.body.hits.hits.map((h: any) => h._id)).toEqual(['4']);
  });

  it.runIf(engine === 'elasticsearch9')("a knn child retriever's k bounds the hits, as the engine's knn retriever does", async () => {
    const VEC = `${INDEX}-knn`;
    await p.engine.json('DELETE', `/${VEC}`);
    await setupIndex(p.engine, p.pipelines.get('knowledge-base')!, VEC);
    expect((await p.engine.json('PUT', `/${VEC}/_mapping`, { properties: { v: { type: 'dense_vector', dims: 3, similarity: 'cosine' } } })).statusCode).toBe(200);
    for (const [i, d] of DOCS.entries()) await p.engine.json('PUT', `/${VEC}/_doc/${i}`, { ...d, v: [i + 1, 1, 0] });
    await p.engine.json('POST', `/${VEC}/_refresh`);
    try {
      const knn = { field: 'v', query_vector: [1, 1, 0], k: 2, num_candidates: 10 };
      const direct = await post(p.engineUrl, `/${VEC}/_search`, { retriever: { knn } });
      expect(direct.body.hits.hits).toHaveLength(2);
      const r = await post(p.url, `/${VEC}/_search`, { retriever: { text_similarity_reranker: { retriever: { knn }, field: 'text', inference_text: 'apple' } } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      // the reranker reorders the child's 2 hits; it does not widen them to its window
      expect(r.body.hits.hits.map((h: any) => h._id).sort()).toEqual(direct.body.hits.hits.map((h: any) => h._id).sort());
    } finally {
      await p.engine.json('DELETE', `/${VEC}`);
    }
  });

  it.runIf(engine === 'elasticsearch9')('ext.vlrerank on a search with a plain standard retriever reranks its hits, not a 400 for a query added beside it', async () => {
    const retriever = { standard: { query: { match: { text: 'apple' } }, filter: { term: { 'cat.keyword': 'fruit' } } } };
    const direct = await post(p.engineUrl, `/${INDEX}/_search`, { retriever });
    expect(direct.status).toBe(200);
    const r = await post(p.url, `/${INDEX}/_search`, { retriever, ext: { vlrerank: { query: 'apple pie' } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.vlrerank.syntax).toBe('ext');
    expect(r.body.hits.hits.map((h: any) => h._id).sort()).toEqual(direct.body.hits.hits.map((h: any) => h._id).sort());
    // the same hits and scores as the retriever syntax over the same child
    const rr = await post(p.url, `/${INDEX}/_search`, { retriever: { text_similarity_reranker: { retriever, field: 'text', inference_text: 'apple pie' } } });
    expect(r.body.hits.hits.map((h: any) => h._id)).toEqual(rr.body.hits.hits.map((h: any) => h._id));
  });

  it('_name is accepted on the reranker and its standard child; unknown keys are refused, naming them', async () => {
    const named = await post(p.url, `/${INDEX}/_search`, reranker({ _name: 'rr' }, { _name: 'bm25' }));
    expect(named.status, JSON.stringify(named.body)).toBe(200);
    expect(named.body.hits.hits.length).toBe(5);
    for (const [extra, field] of [
      [{ filters: { term: { cat: 'x' } } }, 'retriever.text_similarity_reranker.filters'],
      [{ chunk_rescorer: { size: 1 } }, 'retriever.text_similarity_reranker.chunk_rescorer'],
    ] as const) {
      const r = await post(p.url, `/${INDEX}/_search`, reranker(extra));
      expect(r.status).toBe(400);
      expect(r.body.error.field ?? r.body.error.reason).toContain(field);
    }
  });

  it('a search path spelled in another case is the engine\'s 400, not a reranked 200; a trailing slash is a search', async () => {
    const body = { query: { match: { text: 'apple' } }, ext: { vlrerank: { query: 'apple' } } };
    for (const path of [`/${INDEX}/_SEARCH`, `/${INDEX}/_Search`, '/_SEARCH']) {
      const direct = await post(p.engineUrl, path, { query: body.query });
      const proxied = await post(p.url, path, body);
      expect(proxied.status, path).toBe(direct.status);
      expect(proxied.status, path).toBeGreaterThanOrEqual(400);
    }
    const slash = await post(p.url, `/${INDEX}/_search/`, body);
    expect(slash.status).toBe(200);
    expect(slash.body.vlrerank.pipeline).toBe('knowledge-base');
  });

  it('stored_fields without _source leaves _source out, as the engine does; asked for, it is there', async () => {
    const ext = { vlrerank: { query: 'apple' } };
    const query = { match: { text: 'apple' } };
    const cases: Array<[string, Record<string, unknown>]> = [
      ['', { stored_fields: [] }],
      ['', { stored_fields: ['title'] }],
      ['?stored_fields=title', {}],
      ['', { stored_fields: ['title'], _source: true }],
      ['', { stored_fields: ['title'], _source: ['cat'] }],
      ['?_source=true', { _source: ['cat'] }],
      ['?stored_fields=title&_source_includes=cat', {}],
      // `_source` named among the stored fields asks for it: the whole `_source` (held-out probe round 15e: left out)
      ['', { stored_fields: ['_source'] }],
      ['', { stored_fields: ['title', '_source'] }],
      ['', { stored_fields: '_source' }],
      ['?stored_fields=title,_source', {}],
      ['?stored_fields=title', { stored_fields: ['_source'] }],
    ];
    for (const [qs, extra] of cases) {
      const direct = await post(p.engineUrl, `/${INDEX}/_search${qs}`, { query, ...extra });
      const proxied = await post(p.url, `/${INDEX}/_search${qs}`, { query, ...extra, ext });
      expect(proxied.status, JSON.stringify(proxied.body)).toBe(200);
      expect(proxied.body.vlrerank.degraded, qs + JSON.stringify(extra)).toBe(false);
      const sources = (b: any) => Object.fromEntries(b.hits.hits.map((h: any) => [h._id, h._source]));
      expect(sources(proxied.body), qs + JSON.stringify(extra)).toEqual(sources(direct.body));
    }
  });
});
