import { describe, expect, it } from 'vitest';
import { detectRerank, type RerankSpec } from '../../../src/search/detect.js';
import { buildFirstStage, planPaging, vectorNeed } from '../../../src/search/plan.js';
import { parsePipeline, PipelineRegistry } from '../../../src/pipelines/index.js';
import { productsSpec, registry } from './helpers.js';

function spec(body: Record<string, unknown>, qs = '', index = 'products'): RerankSpec {
  const d = detectRerank({ index, params: new URLSearchParams(qs), body }, registry);
  if (d.kind !== 'rerank') throw new Error('expected rerank');
  return d.spec;
}
const ext = (v: Record<string, unknown> = {}) => ({ vlrerank: { query: 'milk', ...v } });

describe('first-stage plan', () => {
  it('asks for the whole window from 0 and pages later', () => {
    const s = spec({ from: 10, size: 5, query: { match: { title: 'milk' } }, ext: ext({ window: 40 }) });
    const paging = planPaging(s);
    expect(paging).toEqual({ from: 10, size: 5, window: 40 });
  });

  it('uses the pipeline default window, grown to a larger size but never by from, and URL from/size', () => {
    expect(planPaging(spec({ ext: ext() }))).toEqual({ from: 0, size: 10, window: 20 });
    expect(planPaging(spec({ ext: ext(), size: 30 }))).toEqual({ from: 0, size: 30, window: 30 });
    // a page past the default window: the same window as page 1, the page's hits after it in
    // first-stage order (held-out probe round 15e: the window grew with from, every page reranked
    // another set — hits on two pages, others on none)
    expect(planPaging(spec({ ext: ext() }, 'from=20&size=10'))).toEqual({ from: 20, size: 10, window: 20, fetch: 30 });
    expect(planPaging(spec({ ext: ext(), from: 15, size: 10 }))).toEqual({ from: 15, size: 10, window: 20, fetch: 25 });
    expect(planPaging(spec({ ext: ext(), from: 95, size: 10 }))).toEqual({ from: 95, size: 10, window: 20, fetch: 105 });
  });

  it.each([
    [{ ext: ext({ window: 10 }), from: 5, size: 10 }, '', 'the rerank window [10] must be greater than or equal to from + size [15]'],
    [{ ext: ext({ window: 500 }) }, '', 'exceeds the maximum [100] of pipeline [products]'],
    [{ ext: ext(), size: 105 }, '', 'the rerank window [105] exceeds the maximum [100] of pipeline [products] (size = 105)'],
    [{ ext: ext(), sort: [{ price: 'asc' }] }, '', '[sort] a reranked search is ordered by the rerank score'],
    [{ ext: ext() }, 'sort=price:asc', '[sort]'],
    [{ ext: ext(), sort: [{ _score: 'asc' }] }, '', '[sort]'],
    [{ ext: ext(), collapse: { field: 'brand' } }, '', '[collapse]'],
    [{ ext: ext(), rescore: { window_size: 10 } }, '', '[rescore]'],
    [{ ext: ext(), search_after: [1] }, '', '[search_after]'],
    [{ ext: ext() }, 'scroll=1m', '[scroll]'],
    // the Python clients' helpers.scan: `sort: "_doc"` of its own beside the scroll — the scroll is named
    [{ ext: ext(), sort: '_doc', size: 10 }, 'scroll=5m', '[scroll] a scroll cannot be reranked'],
    [{ ext: ext(), size: -1 }, '', '[size] parameter cannot be negative, found [-1]'],
  ])('refuses %j %s with a clear 400', (body, qs, msg) => {
    expect(() => planPaging(spec(body, qs))).toThrow(msg);
  });

  it('asks a search by photo for the same kNN on every page (its hits and total do not depend on from)', () => {
    // held-out probe round 15e: k followed the page, so a photo search's hits.total read 20, 20, 30, 40… page after page
    const knnOf = (from: number) => {
      const s = spec({ from, size: 10, ext: { vlrerank: { query: { image: 'a.jpg' } } } });
      return (buildFirstStage(s, planPaging(s), 'elasticsearch', new Float32Array(4)).body.knn as { k: number; num_candidates: number });
    };
    expect(knnOf(0)).toMatchObject({ k: 100, num_candidates: 100 });
    expect(knnOf(40)).toEqual(knnOf(0));
    expect(knnOf(95)).toEqual(knnOf(0));
  });

  it('reads numeric strings for from and size as the engine does, and names the value it refuses as given', () => {
    // Elasticsearch answers `"size": "2", "from": "0"`; vlrerank refused it with "[from] must be a non-negative integer, got [0]"
    expect(planPaging(spec({ ext: ext(), size: '2', from: '0' }))).toEqual({ from: 0, size: 2, window: 20 });
    // a decimal in the body is cut to its integer part, as the engines answer it (held-out probe round 29a: it was a 400)
    expect(planPaging(spec({ ext: ext(), size: '2.5' }))).toEqual({ from: 0, size: 2, window: 20 });
    expect(planPaging(spec({ ext: ext(), size: 1.5, from: 0.9 }))).toEqual({ from: 0, size: 1, window: 20 });
    expect(() => planPaging(spec({ ext: ext() }, 'size=2.5'))).toThrow('Failed to parse int parameter [size] with value [2.5]');
    expect(() => planPaging(spec({ ext: ext(), size: null }))).toThrow('[size] must be a non-negative integer, got [null]');
    expect(() => planPaging(spec({ ext: ext(), from: '-1' }))).toThrow('[from] parameter cannot be negative but was [-1]');
    // `"size": 1e999` parses to Infinity: said as such, not as `null` (held-out probe round 21c)
    expect(() => planPaging(spec({ ext: ext(), size: JSON.parse('1e999') }))).toThrow('[size] must be a non-negative integer, got [Infinity]');
    expect(() => planPaging(spec({ ext: ext(), size: [1] }))).toThrow('got [[1]]');
  });

  it("reads ?size= and ?from= as the engines read an int parameter, and refuses in the engines' words", () => {
    // held-out probe round 31c: `size=+5` was vlrerank's 400 (the engines answer 5 hits), `size=%205`
    // was taken (the engines refuse it), and each refusal was worded unlike the engine's
    const page = (qs: string) => planPaging(spec({ ext: ext() }, qs));
    expect(page('size=%2B5')).toMatchObject({ size: 5 });
    expect(page('size=007&from=-0')).toMatchObject({ size: 7, from: 0 });
    const refusal = (qs: string, dialect?: 'elasticsearch' | 'opensearch') => {
      try {
        planPaging(spec({ ext: ext() }, qs), dialect);
      } catch (e) {
        return (e as { toJSON(): { error: Record<string, unknown>; status: number } }).toJSON();
      }
      throw new Error(`${qs} was taken`);
    };
    for (const [qs, value] of [['size=abc', 'abc'], ['size=', ''], ['size=%205', ' 5'], ['from=5.0', '5.0'], ['size=2147483648', '2147483648']] as const) {
      const r = refusal(qs);
      expect(r.status).toBe(400);
      expect(r.error).toMatchObject({ type: 'illegal_argument_exception', reason: `Failed to parse int parameter [${qs.split('=')[0]}] with value [${value}]`, caused_by: { type: 'number_format_exception', reason: `For input string: "${value}"` } });
      expect(r.error.field).toBeUndefined();
    }
    expect(refusal('size=-1').error.reason).toBe('[size] parameter cannot be negative, found [-1]');
    expect(refusal('size=-1', 'opensearch').error.reason).toBe('[size] parameter cannot be negative, found [-1]');
    // Elasticsearch and OpenSearch word a negative `from` differently (8.19 and 2.19, checked directly)
    expect(refusal('from=-3').error.reason).toBe('[from] parameter cannot be negative but was [-3]');
    expect(refusal('from=-3', 'opensearch').error.reason).toBe('[from] parameter cannot be negative, found [-3]');
    // the body's negatives likewise (a decimal cut first, as the engines do)
    expect(() => planPaging(spec({ ext: ext(), from: -2.5 }), 'opensearch')).toThrow('[from] parameter cannot be negative, found [-2]');
  });

  it('allows sorting by _score descending', () => {
    expect(() => planPaging(spec({ ext: ext(), sort: ['_score', { _score: { order: 'desc' } }] }))).not.toThrow();
  });

  it('widens _source for the pipeline fields and strips URL paging', () => {
    const s = spec({ _source: ['title'], query: { match: { title: 'milk' } }, aggs: { a: { terms: { field: 'brand' } } }, track_total_hits: true, ext: ext() }, 'size=3&from=1&routing=r1');
    expect(vectorNeed(s)).toBeUndefined(); // the client's query is the first stage as given
    const plan = buildFirstStage(s, planPaging(s), 'elasticsearch');
    expect(plan.body).toEqual({
      _source: { includes: ['title', 'description', 'image.url'] },
      query: { match: { title: 'milk' } },
      aggs: { a: { terms: { field: 'brand' } } },
      track_total_hits: true,
      from: 0,
      size: 20,
      // the pipeline keeps feature records in the index (it has an image field): asked for with the hits
      stored_fields: ['vlrerank_features'],
    });
    expect(plan.recordField).toBe('vlrerank_features');
    expect(plan.clientWantsRecord).toBe(false);
    expect(plan.params.toString()).toBe('routing=r1');
    expect(plan.sourceFilter).toEqual({ enabled: true, includes: ['title'], excludes: [] });
  });

  it('asks for the feature records with the hits, keeping _source on; refuses stored fields turned off (no _id, no _source to rerank)', () => {
    const s1 = spec({ ext: ext() });
    const p1 = buildFirstStage(s1, planPaging(s1), 'elasticsearch', new Float32Array(3));
    expect(p1.body).toMatchObject({ _source: true, stored_fields: ['vlrerank_features'] });
    const s2 = spec({ stored_fields: ['vlrerank_features', 'other'], ext: ext() });
    const p2 = buildFirstStage(s2, planPaging(s2), 'elasticsearch', new Float32Array(3));
    expect(p2.body.stored_fields).toEqual(['vlrerank_features', 'other']);
    expect(p2.clientWantsRecord).toBe(true);
    // `_none_` leaves the engine's hits with only _index and _score: every hit was scored alike
    for (const s3 of [spec({ stored_fields: '_none_', ext: ext() }), spec({ stored_fields: ['title', '_none_'], ext: ext() }), spec({ ext: ext() }, 'stored_fields=_none_')]) {
      expect(() => planPaging(s3)).toThrow(/stored_fields \[_none_\]/);
    }
  });

  it('drops excludes that hide needed fields and turns _source:false into the needed fields', () => {
    const s1 = spec({ _source: { excludes: ['description', 'img_vec'] }, ext: ext() });
    expect(buildFirstStage(s1, planPaging(s1), 'elasticsearch', new Float32Array(3)).body._source).toEqual({ excludes: ['img_vec'] });
    const s2 = spec({ _source: false, ext: ext() });
    expect(buildFirstStage(s2, planPaging(s2), 'opensearch', new Float32Array(3)).body._source).toEqual({ includes: ['title', 'description', 'image.url'] });
  });

  it('searches by image with kNN in each dialect, next to the request query', () => {
    const s = spec({ query: { term: { top: 'Fruit' } }, ext: { vlrerank: { query: { image: 'data:image/png;base64,AAAA' } } } });
    expect(vectorNeed(s)).toEqual({ kind: 'image', field: 'img_vec', dims: 4 });
    const es = buildFirstStage(s, planPaging(s), 'elasticsearch', new Float32Array([1, 0, 0, 0]));
    expect(es.body.knn).toEqual({ field: 'img_vec', query_vector: [1, 0, 0, 0], k: 20, num_candidates: 100 });
    expect(es.body.query).toEqual({ term: { top: 'Fruit' } });
    const os = buildFirstStage(s, planPaging(s), 'opensearch', new Float32Array([1, 0, 0, 0]));
    expect(os.body.knn).toBeUndefined();
    expect(os.body.query).toEqual({ bool: { should: [{ term: { top: 'Fruit' } }, { knn: { img_vec: { vector: [1, 0, 0, 0], k: 20 } } }] } });
    expect(() => buildFirstStage(s, planPaging(s), 'opensearch', new Float32Array(3))).toThrow('has 3 dimensions');
  });

  it('turns a filter-only request query into the kNN filter', () => {
    const f = { bool: { filter: [{ term: { top: 'Packages' } }] } };
    const s = spec({ query: f, ext: { vlrerank: { query: { image: 'x.jpg' } } } });
    const es = buildFirstStage(s, planPaging(s), 'elasticsearch', new Float32Array(4));
    expect(es.body.query).toBeUndefined();
    expect(es.body.knn).toMatchObject({ filter: f });
    const os = buildFirstStage(s, planPaging(s), 'opensearch', new Float32Array(4));
    // a kNN alone asks for the pipeline's maximum window: the same hits and total on every page
    expect(os.body.query).toEqual({ knn: { img_vec: { vector: [0, 0, 0, 0], k: 100, filter: f } } });
  });

  it('runs hybrid BM25 + bridge kNN for text queries when the pipeline says so', () => {
    const s = spec({ ext: ext() });
    expect(vectorNeed(s)).toEqual({ kind: 'bridge', field: 'txt_vec', dims: 3 });
    const os = buildFirstStage(s, planPaging(s), 'opensearch', new Float32Array([0, 1, 0]));
    expect(os.body.query).toEqual({
      bool: { should: [{ multi_match: { query: 'milk', fields: ['title^2', 'description'] } }, { knn: { txt_vec: { vector: [0, 1, 0], k: 20 } } }] },
    });
  });

  it('weighs a hybrid kNN by first_stage.knn_boost beside the multi_match, on both engines', () => {
    // the engine adds the kNN's similarity (≤ 1) to BM25's score (0–20): at 1 the BM25 hits filled
    // the window and the kNN's own were cut off (COCO-mini, 956 captions: recall@50 0.928, kNN alone 0.993)
    const boosted = parsePipeline({ ...productsSpec, index_patterns: ['boosted'], first_stage: { ...productsSpec.first_stage, knn_boost: 10 } }, 'pipelines/boosted.yaml');
    const reg = new PipelineRegistry([boosted]);
    const d = detectRerank({ index: 'boosted', params: new URLSearchParams(), body: { ext: ext() } }, reg);
    if (d.kind !== 'rerank') throw new Error('expected rerank');
    const es = buildFirstStage(d.spec, planPaging(d.spec), 'elasticsearch', new Float32Array([0, 1, 0]));
    expect(es.body.query).toEqual({ multi_match: { query: 'milk', fields: ['title^2', 'description'] } });
    expect(es.body.knn).toEqual({ field: 'txt_vec', query_vector: [0, 1, 0], k: 20, num_candidates: 100, boost: 10 });
    const os = buildFirstStage(d.spec, planPaging(d.spec), 'opensearch', new Float32Array([0, 1, 0]));
    expect(os.body.query).toEqual({
      bool: { should: [{ multi_match: { query: 'milk', fields: ['title^2', 'description'] } }, { knn: { txt_vec: { vector: [0, 1, 0], k: 20, boost: 10 } } }] },
    });
    // the default (1) sends no boost: the request is as before
    const plain = spec({ ext: ext() });
    expect(buildFirstStage(plain, planPaging(plain), 'elasticsearch', new Float32Array([0, 1, 0])).body.knn).not.toHaveProperty('boost');
    // a search by photo (kNN alone, no score to add to) is never boosted
    const byPhoto = detectRerank({ index: 'boosted', params: new URLSearchParams(), body: { ext: { vlrerank: { query: { image: 'https://example.com/a.jpg' } } } } }, reg);
    if (byPhoto.kind !== 'rerank') throw new Error('expected rerank');
    const img = buildFirstStage(byPhoto.spec, planPaging(byPhoto.spec), 'elasticsearch', new Float32Array(4));
    expect(img.body.knn).not.toHaveProperty('boost');
  });

  it("takes a search's own ext.vlrerank.knn_boost over the pipeline's, and says which boost ran (eval --fit varies it)", () => {
    const boosted = parsePipeline({ ...productsSpec, index_patterns: ['boosted'], first_stage: { ...productsSpec.first_stage, knn_boost: 10 } }, 'pipelines/boosted.yaml');
    const reg = new PipelineRegistry([boosted]);
    const plan = (vlrerank: Record<string, unknown>) => {
      const d = detectRerank({ index: 'boosted', params: new URLSearchParams(), body: { ext: { vlrerank: { ...ext().vlrerank, ...vlrerank } } } }, reg);
      if (d.kind !== 'rerank') throw new Error('expected rerank');
      return buildFirstStage(d.spec, planPaging(d.spec), 'elasticsearch', new Float32Array([0, 1, 0]));
    };
    expect(plan({}).knnBoost).toBe(10);
    const two = plan({ knn_boost: 2.5 });
    expect(two.body.knn).toMatchObject({ boost: 2.5 });
    expect(two.knnBoost).toBe(2.5);
    // 1 asked: the engine's plain sum, no boost sent
    const one = plan({ knn_boost: 1 });
    expect(one.body.knn).not.toHaveProperty('boost');
    expect(one.knnBoost).toBe(1);
    // not a kNN beside a query (a search by photo): nothing boosted, nothing reported
    const d = detectRerank({ index: 'boosted', params: new URLSearchParams(), body: { ext: { vlrerank: { query: { image: 'https://example.com/a.jpg' }, knn_boost: 5 } } } }, reg);
    if (d.kind !== 'rerank') throw new Error('expected rerank');
    const img = buildFirstStage(d.spec, planPaging(d.spec), 'elasticsearch', new Float32Array(4));
    expect(img.body.knn).not.toHaveProperty('boost');
    expect(img.knnBoost).toBeUndefined();
    for (const bad of [0, -2, 'x', Number.POSITIVE_INFINITY]) {
      expect(() => plan({ knn_boost: bad }), String(bad)).toThrow(/ext\.vlrerank\.knn_boost/);
    }
  });

  it('puts a fuzzy multi_match beside the exact one when the pipeline asks (first_stage.fuzzy), on both engines', () => {
    // held-out probe round 23a: "bananna", "yoghrt" matched nothing in BM25
    const fuzzy = parsePipeline({ ...productsSpec, index_patterns: ['fuzzy'], first_stage: { ...productsSpec.first_stage, fuzzy: { boost: 0.2 } } }, 'pipelines/fuzzy.yaml');
    const reg = new PipelineRegistry([fuzzy, parsePipeline({ index_patterns: ['kbf'], fields: { text: ['body'] }, first_stage: { fuzzy: true } }, 'pipelines/kbf.yaml')]);
    const plan = (index: string, dialect: 'elasticsearch' | 'opensearch', body: Record<string, unknown> = { ext: { vlrerank: { query: 'yoghrt' } } }) => {
      const d = detectRerank({ index, params: new URLSearchParams(), body }, reg);
      if (d.kind !== 'rerank') throw new Error('expected rerank');
      return buildFirstStage(d.spec, planPaging(d.spec), dialect, new Float32Array([0, 1, 0])).body;
    };
    // q25: the term suggesters of the query the reranker reads, on the match fields without their boosts
    const suggest = (index: string, body?: Record<string, unknown>) => Object.values((plan(index, 'elasticsearch', body).suggest ?? {}) as Record<string, { text: string; term: { field: string; suggest_mode: string } }>).map((x) => [x.text, x.term.field, x.term.suggest_mode]);
    expect(suggest('fuzzy')).toEqual([['yoghrt', 'title', 'missing'], ['yoghrt', 'description', 'missing']]);
    expect(suggest('kbf')).toEqual([['yoghrt', 'body', 'missing']]);
    expect(suggest('fuzzy', { query: { match: { title: 'yoghrt' } }, ext: { vlrerank: { query: 'yoghrt' } } })).toEqual([]);
    const fields = ['title^2', 'description'];
    const text = { bool: { should: [{ multi_match: { query: 'yoghrt', fields } }, { multi_match: { query: 'yoghrt', fields, fuzziness: 'AUTO', prefix_length: 1, max_expansions: 50, boost: 0.2 } }] } };
    expect(plan('fuzzy', 'elasticsearch').query).toEqual(text);
    expect(plan('fuzzy', 'opensearch').query).toEqual({ bool: { should: [text, { knn: { txt_vec: { vector: [0, 1, 0], k: 20 } } }] } });
    // a BM25-only first stage, with the defaults
    expect(plan('kbf', 'elasticsearch').query).toEqual({ bool: { should: [{ multi_match: { query: 'yoghrt', fields: ['body'] } }, { multi_match: { query: 'yoghrt', fields: ['body'], fuzziness: 'AUTO', prefix_length: 1, max_expansions: 50, boost: 0.3 } }] } });
    // a search with its own query keeps it as given
    expect(plan('fuzzy', 'elasticsearch', { query: { match: { title: 'yoghrt' } }, ext: { vlrerank: { query: 'yoghrt' } } }).query).toEqual({ match: { title: 'yoghrt' } });
    // unset: the plain multi_match, as before
    const s = spec({ ext: { vlrerank: { query: 'yoghrt' } } });
    expect(buildFirstStage(s, planPaging(s), 'elasticsearch', new Float32Array([0, 1, 0])).body.query).toEqual({ multi_match: { query: 'yoghrt', fields } });
    expect(buildFirstStage(s, planPaging(s), 'elasticsearch', new Float32Array([0, 1, 0])).body.suggest).toBeUndefined();
  });

  it('translates the knn retriever for OpenSearch', () => {
    const s = spec({ retriever: { text_similarity_reranker: { retriever: { knn: { field: 'v', query_vector: [1, 2], k: 5, num_candidates: 50, filter: { term: { a: 1 } } } }, field: 'title', inference_text: 'q', rank_window_size: 30 } } });
    const os = buildFirstStage(s, planPaging(s), 'opensearch');
    // the child's k is the engine's: it bounds the hits the reranker gets (held-out probe round 6)
    expect(os.body.query).toEqual({ knn: { v: { vector: [1, 2], k: 5, filter: { term: { a: 1 } } } } });
    const es = buildFirstStage(s, planPaging(s), 'elasticsearch');
    expect(es.body.knn).toEqual({ field: 'v', query_vector: [1, 2], k: 5, num_candidates: 50, filter: { term: { a: 1 } } });
  });
});
