import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { detectRerank } from '../../../src/search/detect.js';
import { isVlrerankError } from '../../../src/errors.js';
import { registry } from './helpers.js';

const P = (s = '') => new URLSearchParams(s);

describe('rerank syntax detection', () => {
  it('passes through plain searches untouched', () => {
    expect(detectRerank({ index: 'products', params: P(), body: { query: { match: { title: 'milk' } } } }, registry)).toEqual({ kind: 'passthrough' });
    expect(detectRerank({ index: undefined, params: P(), body: undefined }, registry)).toEqual({ kind: 'passthrough' });
    // a search_pipeline that is not a vlrerank pipeline is the engine's business
    expect(detectRerank({ index: 'products', params: P('search_pipeline=theirs'), body: {} }, registry).kind).toBe('passthrough');
  });

  it('reads ext.vlrerank and strips it', () => {
    const d = detectRerank(
      { index: 'products', params: P(), body: { query: { match: { title: 'milk' } }, ext: { vlrerank: { query: { text: 'oat milk' }, window: 30, explain: true } } } },
      registry,
    );
    if (d.kind !== 'rerank') throw new Error('expected rerank');
    expect(d.spec.syntax).toBe('ext');
    expect(d.spec.pipeline.name).toBe('products');
    expect(d.spec.query).toEqual({ text: 'oat milk' });
    expect(d.spec.window).toBe(30);
    expect(d.spec.explain).toBe(true);
    expect(d.spec.body).toEqual({ query: { match: { title: 'milk' } } });
  });

  it('takes the query text from the search when ext.vlrerank has none', () => {
    const d = detectRerank({ index: 'products', params: P(), body: { query: { bool: { must: [{ multi_match: { query: 'red apple', fields: ['title'] } }] } }, ext: { vlrerank: {} } } }, registry);
    expect(d.kind === 'rerank' && d.spec.query).toEqual({ text: 'red apple' });
  });

  it('unwraps the Elasticsearch text_similarity_reranker retriever', () => {
    const body = {
      retriever: {
        text_similarity_reranker: {
          retriever: { standard: { query: { match: { title: 'juice' } }, filter: { term: { top: 'Packages' } } } },
          field: 'description',
          inference_text: 'orange juice without pulp',
          rank_window_size: 40,
          min_score: 0.2,
        },
      },
      size: 5,
    };
    const d = detectRerank({ index: 'products', params: P(), body }, registry);
    if (d.kind !== 'rerank') throw new Error('expected rerank');
    expect(d.spec.syntax).toBe('retriever');
    expect(d.spec.query).toEqual({ text: 'orange juice without pulp' });
    expect(d.spec.window).toBe(40);
    expect(d.spec.minScore).toBe(0.2);
    // `description` is one of the pipeline's text fields: the pipeline reranks on all of its text
    expect(d.spec.pipeline.fields.text).toEqual(['title', 'description']);
    expect(d.spec.body).toEqual({ size: 5, query: { bool: { must: { match: { title: 'juice' } }, filter: { term: { top: 'Packages' } } } } });
  });

  it("reranks on the retriever's field when the pipeline does not read it, keeping the media fields", () => {
    const body = { retriever: { text_similarity_reranker: { retriever: { standard: { query: { match: { title: 'juice' } } } }, field: 'brand', inference_text: 'orange juice' } } };
    const d = detectRerank({ index: 'products', params: P(), body }, registry);
    if (d.kind !== 'rerank') throw new Error('expected rerank');
    expect(d.spec.pipeline.fields.text).toEqual(['brand']);
    expect(d.spec.pipeline.fields.image).toEqual(['image.url']);
  });

  it('accepts the knn retriever and an index no pipeline covers', () => {
    const d = detectRerank(
      {
        index: 'anything',
        params: P(),
        targets: ['anything'], // what the engine says it is: an index of its own
        body: { retriever: { text_similarity_reranker: { retriever: { knn: { field: 'v', query_vector: [1, 0], k: 5, num_candidates: 10 } }, field: 'body', inference_text: 'q' } } },
      },
      registry,
    );
    if (d.kind !== 'rerank') throw new Error('expected rerank');
    expect(d.spec.knn).toMatchObject({ field: 'v', query_vector: [1, 0], k: 5 });
    expect(d.spec.pipeline.fields.text).toEqual(['body']);
  });

  it('reads OpenSearch search_pipeline with query_text and query_text_path', () => {
    const body = { query: { match: { title: { query: 'greek yoghurt' } } }, ext: { rerank: { query_context: { query_text_path: 'query.match.title.query' } } } };
    const d = detectRerank({ index: 'shop-1', params: P('search_pipeline=products&size=3'), body }, registry);
    if (d.kind !== 'rerank') throw new Error('expected rerank');
    expect(d.spec.syntax).toBe('search_pipeline');
    expect(d.spec.query.text).toBe('greek yoghurt');
    expect(d.spec.params.toString()).toBe('size=3');
    expect(d.spec.body.ext).toBeUndefined();
    const d2 = detectRerank({ index: 'x', params: P('search_pipeline=kb'), body: { ext: { rerank: { query_context: { query_text: 'claim' } } } } }, registry);
    expect(d2.kind === 'rerank' && d2.spec.query.text).toBe('claim');
  });

  // held-out probe round 11c: the URL names vlrerank's pipeline, the body an engine pipeline of its
  // own (request-level, OpenSearch 2.8+): that one is the first stage's, kept; a body name is dropped
  it('keeps a request-level search pipeline in the body when the URL names the vlrerank pipeline', () => {
    const inline = { request_processors: [{ filter_query: { query: { term: { top: 'Fruit' } } } }] };
    const ext = { rerank: { query_context: { query_text: 'apple' } } };
    const d = detectRerank({ index: 'shop-1', params: P('search_pipeline=products'), body: { query: { match: { title: 'apple' } }, search_pipeline: inline, ext } }, registry);
    if (d.kind !== 'rerank') throw new Error('expected rerank');
    expect(d.spec.body.search_pipeline).toEqual(inline);
    expect(d.spec.params.has('search_pipeline')).toBe(false);
    const named = detectRerank({ index: 'shop-1', params: P('search_pipeline=products'), body: { search_pipeline: 'theirs', ext } }, registry);
    expect(named.kind === 'rerank' && named.spec.body.search_pipeline).toBeUndefined();
    const inBody = detectRerank({ index: 'shop-1', params: P(), body: { search_pipeline: 'products', ext } }, registry);
    expect(inBody.kind === 'rerank' && inBody.spec.body.search_pipeline).toBeUndefined();
  });

  // held-out probe round 11c: the 400 listed every index of the cluster (`_all` resolved)
  it('a point-in-time search without a named pipeline is told to name one, not about _all', () => {
    const input = { index: undefined, params: P(), body: { pit: { id: 'abc' }, ext: { vlrerank: { query: { text: 'milk' } } } } };
    let err: unknown;
    try {
      detectRerank({ ...input, targets: ['shop-1', 'kb-1', 'other'] }, registry);
    } catch (e) {
      err = e;
    }
    expect(isVlrerankError(err) ? err.message : String(err)).toMatch(/point-in-time search names no index.*ext\.vlrerank\.pipeline/);
    const named = detectRerank({ ...input, body: { ...input.body, ext: { vlrerank: { pipeline: 'products', query: { text: 'milk' } } } } }, registry);
    expect(named.kind).toBe('rerank');
  });

  it('reads ext.rerank.query_context as OpenSearch\'s rerank processor does (held-out probe round 6)', () => {
    const run = (qc: Record<string, unknown>, query: unknown = { match: { title: 'greek yoghurt' } }) => detectRerank({ index: 'x', params: P('search_pipeline=kb'), body: { query, ext: { rerank: { query_context: qc } } } }, registry);
    // OpenSearch reads the path in the request as it renders it: a short-form match is {query: …}
    for (const path of ['query.match.title.query', 'query.match.title']) {
      const d = run({ query_text_path: path });
      expect(d.kind === 'rerank' && d.spec.query.text, path).toBe('greek yoghurt');
    }
    const term = run({ query_text_path: 'query.term.tag.value' }, { term: { tag: 'dairy' } });
    expect(term.kind === 'rerank' && term.spec.query.text).toBe('dairy');
    const refused = (qc: Record<string, unknown>) => {
      try {
        run(qc);
      } catch (e) {
        if (isVlrerankError(e)) return `${e.status} ${e.message}`;
        throw e;
      }
      return 'accepted';
    };
    expect(refused({ query_text: 'a', query_text_path: 'query.match.title' })).toBe('400 [ext.rerank.query_context] cannot specify both "query_text" and "query_text_path"');
    // an empty or blank query_text was silently replaced by the search's own text
    expect(refused({ query_text: '' })).toBe('400 [ext.rerank.query_context.query_text] must be a non-empty string');
    expect(refused({ query_text: '  ' })).toBe('400 [ext.rerank.query_context.query_text] must be a non-empty string');
    expect(refused({ query_text: 5 })).toBe('400 [ext.rerank.query_context.query_text] must be a non-empty string');
  });

  it('takes a plain standard or knn retriever as the first stage of ext.vlrerank (held-out probe round 6)', () => {
    const std = detectRerank({ index: 'products', params: P(), body: { retriever: { standard: { query: { match: { title: 'milk' } }, _name: 's' } }, ext: { vlrerank: {} } } }, registry);
    if (std.kind !== 'rerank') throw new Error('expected rerank');
    expect(std.spec.body).toEqual({ query: { match: { title: 'milk' } } });
    expect(std.spec.query).toEqual({ text: 'milk' });
    const knn = detectRerank({ index: 'products', params: P(), body: { retriever: { knn: { field: 'v', query_vector: [1, 0], k: 3 } }, ext: { vlrerank: { query: 'milk' } } } }, registry);
    expect(knn.kind === 'rerank' && knn.spec.knn).toMatchObject({ field: 'v', k: 3 });
    expect(knn.kind === 'rerank' && knn.spec.body.retriever).toBeUndefined();
    expect(() => detectRerank({ index: 'products', params: P(), body: { retriever: { rrf: { retrievers: [] } }, ext: { vlrerank: { query: 'milk' } } } }, registry)).toThrow(/\[retriever\.rrf\] retriever \[rrf\] is not supported/);
    // not asked: a default pipeline leaves a retriever search to the engine, as before
    expect(detectRerank({ index: 'kb', params: P(), body: { retriever: { standard: { query: { match: { body: 'x' } } } } } }, registry).kind).toBe('passthrough');
  });

  it('reranks every full-text search on an index whose pipeline is default', () => {
    const d = detectRerank({ index: 'kb', params: P(), body: { query: { match: { body: 'vitamin d' } } } }, registry);
    expect(d.kind === 'rerank' && d.spec.syntax).toBe('default');
    expect(detectRerank({ index: 'kb', params: P(), body: { query: { match_all: {} } } }, registry).kind).toBe('passthrough');
    expect(detectRerank({ index: 'kb', params: P(), body: { query: { match: { body: 'x' } }, ext: { vlrerank: { enabled: false } } } }, registry)).toEqual({ kind: 'passthrough', body: { query: { match: { body: 'x' } } } });
  });

  // held-out probe round 5: a sorted, collapsed, rescored or cursor-paged search on an index whose
  // pipeline is default was refused with a 400 although the client never asked for a rerank
  it.each([
    ['', { sort: ['_doc'] }],
    ['sort=date:asc', {}],
    ['', { collapse: { field: 'user' } }],
    ['', { rescore: { window_size: 10, query: { rescore_query: { match_all: {} } } } }],
    ['', { search_after: [3] , sort: ['_score'] }],
    ['scroll=1m', {}],
  ] as const)('a search on a default pipeline that orders or pages itself (%s %j) is left to the engine', (qs, extra) => {
    const body = { query: { match: { body: 'vitamin d' } }, ...extra };
    const d = detectRerank({ index: 'kb', params: P(qs), body }, registry);
    expect(d.kind).toBe('passthrough');
    // asked for, it is still the rerank (refused with a 400 when planned)
    const asked = detectRerank({ index: 'kb', params: P(qs), body: { ...body, ext: { vlrerank: { query: 'vitamin d' } } } }, registry);
    expect(asked.kind).toBe('rerank');
  });

  // held-out probe round 5: `search_pipeline=_none` (OpenSearch: not even the index's default) and a
  // search pipeline of the engine's own were reranked by the default pipeline anyway
  it.each([['search_pipeline=_none', {}], ['', { search_pipeline: '_none' }], ['search_pipeline=engine-own', {}]] as const)('a search naming a search pipeline (%s %j) is not reranked by the default one', (qs, extra) => {
    const body = { query: { match: { body: 'vitamin d' } }, ...extra };
    const d = detectRerank({ index: 'kb', params: P(qs), body }, registry);
    expect(d.kind).toBe('passthrough');
    expect(d.kind === 'passthrough' && d.body).toBeFalsy(); // forwarded as received: the engine judges the name
  });

  it.each([
    [{ ext: { vlrerank: { window: 'ten' } } }, '[ext.vlrerank.window]'],
    [{ ext: { vlrerank: { windw: 10 } } }, '[ext.vlrerank.windw] unknown field'],
    [{ ext: { vlrerank: { query: {} } } }, '[ext.vlrerank.query]'],
    [{ ext: { vlrerank: { query: 5 } } }, '[ext.vlrerank.query]'],
    [{ ext: { vlrerank: { pipeline: 'nope', query: 'x' } } }, 'no such vlrerank pipeline [nope]'],
    [{ ext: { vlrerank: 'yes' } }, '[ext.vlrerank]'],
    [{ ext: { vlrerank: {} }, query: { match_all: {} } }, '[ext.vlrerank.query] is required'],
    [{ retriever: { text_similarity_reranker: { retriever: { standard: {} }, field: 'x' } } }, '[retriever.text_similarity_reranker.inference_text]'],
    [{ retriever: { text_similarity_reranker: { retriever: { rrf: {} }, field: 'x', inference_text: 'q' } } }, 'retriever [rrf] is not supported'],
    [{ query: { match_all: {} }, retriever: { text_similarity_reranker: { retriever: { standard: {} }, field: 'x', inference_text: 'q' } } }, 'cannot specify [query] and [retriever]'],
  ])('refuses malformed %j with a 400 naming the field', (body, msg) => {
    try {
      detectRerank({ index: 'products', params: P(), body }, registry);
      expect.unreachable();
    } catch (e) {
      expect(isVlrerankError(e) && e.status).toBe(400);
      expect((e as Error).message).toContain(msg);
    }
  });

  it('never crashes on arbitrary JSON bodies (fuzz)', () => {
    const ext = fc.record({ vlrerank: fc.oneof(fc.jsonValue(), fc.record({ query: fc.oneof(fc.string(), fc.jsonValue()), window: fc.jsonValue(), explain: fc.jsonValue() }, { requiredKeys: [] })) });
    const retr = fc.record({ text_similarity_reranker: fc.record({ retriever: fc.jsonValue(), field: fc.jsonValue(), inference_text: fc.jsonValue() }, { requiredKeys: [] }) });
    const body = fc.oneof(fc.jsonValue(), fc.record({ ext, query: fc.jsonValue() }, { requiredKeys: [] }), fc.record({ retriever: retr, size: fc.jsonValue() }, { requiredKeys: [] }));
    fc.assert(
      fc.property(body, fc.constantFrom('products', 'kb', 'other', undefined), fc.constantFrom('', 'search_pipeline=products', 'search_pipeline=kb'), (b, index, qs) => {
        const before = JSON.stringify(b);
        try {
          const d = detectRerank({ index, params: P(qs), body: b }, registry);
          expect(['passthrough', 'rerank', 'resolve']).toContain(d.kind);
          if (d.kind === 'resolve') expect(detectRerank({ index, params: P(qs), body: b, targets: [] }, registry).kind).not.toBe('resolve');
        } catch (e) {
          expect(isVlrerankError(e) && e.status).toBe(400);
        }
        expect(JSON.stringify(b)).toBe(before); // input never mutated
      }),
      { numRuns: 2000 },
    );
  });
});
