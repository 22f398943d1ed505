/**
 * `_rank_eval` through vlrerank measures the order the same `_search` answers: reranked where a
 * pipeline reranks (a default pipeline, or `ext.vlrerank` in a rated request), the engine's first stage
 * where nothing does. Before (held-out probe round 18c) it went to the engine as sent, so a relevance
 * engineer's nDCG through vlrerank was the first stage's while every search of the same request came
 * back reranked. The metric is the engine's own, computed on the reranked hits; each hit's `_score` in
 * `details` is the reranked one. Real OpenSearch 3.6 (2.19's and Elasticsearch 8.19's thin builds have
 * no rank-eval module), its official client's `rankEval`, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { pipelinesDir, startSearchProxy, SWEET_DOCS, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const DEF_INDEX = 'p18c-rankeval-def-it';
const ASK_INDEX = 'p18c-rankeval-ask-it';
const PLAIN_INDEX = 'p18c-rankeval-plain-it';
const QUERY = 'a cake made with honey';
const match = { multi_match: { query: QUERY, fields: ['title', 'text'] } };
// BM25 puts the juice first, the text model the syrup: the first stage and the rerank disagree
const drink = { multi_match: { query: 'sweet drink', fields: ['title', 'text'] } };
// honey cake (2) relevant, apple pie (0) and the juice (1) a little
const ratings = (index: string) => [
  { _index: index, _id: '2', rating: 3 },
  { _index: index, _id: '0', rating: 1 },
  { _index: index, _id: '1', rating: 1 },
];

/** DCG@k as the engines compute it: Σ (2^rating − 1) / log2(rank + 1), unrated hits 0. */
function dcg(ids: string[], rated: Array<{ _id: string; rating: number }>, k: number): number {
  const by = new Map(rated.map((r) => [r._id, r.rating]));
  return ids.slice(0, k).reduce((s, id, i) => s + (2 ** (by.get(id) ?? 0) - 1) / Math.log2(i + 2), 0);
}

describe('_rank_eval measures the reranked order (opensearch3)', () => {
  let p: SearchProxy;
  let direct: OsClient;
  let through: OsClient;
  beforeAll(async () => {
    p = await startSearchProxy('opensearch3', {
      pipelinesDir: pipelinesDir({ 'p18c-re-def.yaml': textPipeline('p18c-re-def', 'p18c-rankeval-def-*', { default: true }), 'p18c-re-ask.yaml': textPipeline('p18c-re-ask', 'p18c-rankeval-ask-*', { default: false }) }),
    });
    direct = new OsClient({ node: p.engineUrl });
    through = new OsClient({ node: p.url });
    for (const index of [DEF_INDEX, ASK_INDEX, PLAIN_INDEX]) {
      await p.engine.json('DELETE', `/${index}`);
      for (const [i, d] of SWEET_DOCS.entries()) await p.engine.json('PUT', `/${index}/_doc/${i}`, d);
      await p.engine.json('POST', `/${index}/_refresh`);
    }
  });
  afterAll(async () => {
    for (const index of [DEF_INDEX, ASK_INDEX, PLAIN_INDEX]) await p?.engine.json('DELETE', `/${index}`);
    await p?.close();
  });

  const hitIds = (b: any): string[] => b.hits.hits.map((h: any) => h._id);
  const evalIds = (b: any, id: string): string[] => b.details[id].hits.map((h: any) => h.hit._id);

  it('on a default pipeline\'s index: the hits, scores and metric of the reranked search, not the first stage\'s', async () => {
    const k = 5;
    const body = { requests: [{ id: 'honey', request: { query: drink }, ratings: ratings(DEF_INDEX) }], metric: { dcg: { k, normalize: false } } };
    const searched = (await through.search({ index: DEF_INDEX, body: { size: k, query: drink } })).body as any;
    expect(searched.vlrerank?.pipeline).toBe('p18c-re-def');
    const firstStage = (await direct.search({ index: DEF_INDEX, body: { size: k, query: drink } })).body as any;
    // the rerank reorders this query: otherwise the test could not tell the two apart
    expect(hitIds(searched)).not.toEqual(hitIds(firstStage));

    const r = (await through.rankEval({ index: DEF_INDEX, body } as never)).body as any;
    expect(evalIds(r, 'honey')).toEqual(hitIds(searched));
    expect(r.details.honey.hits.map((h: any) => h.hit._score)).toEqual(searched.hits.hits.map((h: any) => h._score));
    expect(r.metric_score).toBeCloseTo(dcg(hitIds(searched), ratings(DEF_INDEX), k), 9);
    expect(r.failures).toEqual({});
    expect(r.vlrerank).toMatchObject({ measured: 'reranked', k, requests: { honey: { pipeline: 'p18c-re-def', degraded: false } } });

    // the engine asked directly measures its first stage, as before
    const e = (await direct.rankEval({ index: DEF_INDEX, body } as never)).body as any;
    expect(evalIds(e, 'honey')).toEqual(hitIds(firstStage));
    expect(e.metric_score).toBeCloseTo(dcg(hitIds(firstStage), ratings(DEF_INDEX), k), 9);
  });

  it('measures a templated rated request (templates + template_id) as the reranked search it renders to', async () => {
    // held-out probe round 31e: a `template_id` request was the engine's first stage, unsaid, on an index whose every `_search` is reranked
    const k = 5;
    const template = { source: JSON.stringify({ query: { multi_match: { query: '{{q}}', fields: ['title', 'text'] } } }) };
    const body = { templates: [{ id: 't', template }], requests: [{ id: 'honey', template_id: 't', params: { q: 'sweet drink' }, ratings: ratings(DEF_INDEX) }], metric: { dcg: { k, normalize: false } } };
    const searched = (await through.search({ index: DEF_INDEX, body: { size: k, query: drink } })).body as any;
    const firstStage = (await direct.search({ index: DEF_INDEX, body: { size: k, query: drink } })).body as any;
    expect(hitIds(searched)).not.toEqual(hitIds(firstStage));
    const r = (await through.rankEval({ index: DEF_INDEX, body } as never)).body as any;
    expect(evalIds(r, 'honey')).toEqual(hitIds(searched));
    expect(r.details.honey.hits.map((h: any) => h.hit._score)).toEqual(searched.hits.hits.map((h: any) => h._score));
    expect(r.metric_score).toBeCloseTo(dcg(hitIds(searched), ratings(DEF_INDEX), k), 9);
    expect(r.vlrerank).toMatchObject({ measured: 'reranked', k, requests: { honey: { pipeline: 'p18c-re-def' } } });
    // a template the engine cannot render: its own failure, as directly
    const broken = { ...body, templates: [{ id: 't', template: { id: 'p31e-no-such-template' } }] };
    const [d, t] = await Promise.all([direct, through].map((c) => c.rankEval({ index: DEF_INDEX, body: broken } as never).then((x) => [x.statusCode, x.body], (err) => [err.meta.statusCode, err.meta.body])));
    expect(t).toEqual(d);
  });

  it('reranks a rated request that asks with ext.vlrerank; the metric\'s default k is 10', async () => {
    const request = { query: match, ext: { vlrerank: { query: { text: QUERY } } } };
    const r = (await through.rankEval({ index: ASK_INDEX, body: { requests: [{ id: 'q', request, ratings: ratings(ASK_INDEX) }], metric: { precision: { relevant_rating_threshold: 2 } } } } as never)).body as any;
    const searched = (await through.search({ index: ASK_INDEX, body: { ...request, size: 10 } })).body as any;
    expect(r.vlrerank).toMatchObject({ measured: 'reranked', k: 10, requests: { q: { pipeline: 'p18c-re-ask' } } });
    expect(evalIds(r, 'q')).toEqual(hitIds(searched));
    expect(r.metric_score).toBeCloseTo(1 / hitIds(searched).length, 9); // one hit rated ≥ 2 among those returned
  });

  it('measures 40 rated requests reranked, none shed by the rerank queue as overloaded', async () => {
    const words = ['sweet drink', 'a sweet dessert', 'not a dessert', 'apple', 'honey cake', 'fruit juice', 'sticky', 'baked'];
    const requests = Array.from({ length: 40 }, (_, i) => ({ id: `q${i}`, request: { query: { multi_match: { query: words[i % words.length]!, fields: ['title', 'text'] } } }, ratings: ratings(DEF_INDEX) }));
    const r = (await through.rankEval({ index: DEF_INDEX, body: { requests, metric: { dcg: { k: 3 } } } } as never)).body as any;
    const measured = r.vlrerank.requests as Record<string, { degraded: unknown }>;
    expect(Object.keys(measured)).toHaveLength(40);
    expect(Object.entries(measured).filter(([, m]) => m.degraded !== false)).toEqual([]);
  });

  it('leaves an index no pipeline covers to the engine, answer for answer', async () => {
    const body = { requests: [{ id: 'q', request: { query: match }, ratings: ratings(PLAIN_INDEX) }], metric: { mean_reciprocal_rank: { k: 5 } } };
    const r = (await through.rankEval({ index: PLAIN_INDEX, body } as never)).body as any;
    const e = (await direct.rankEval({ index: PLAIN_INDEX, body } as never)).body as any;
    expect(r).toEqual(e);
    expect(r.vlrerank).toBeUndefined();
  });

  it('a request the engine refuses keeps the engine\'s own failure beside a reranked one', async () => {
    const body = {
      requests: [
        { id: 'ok', request: { query: match }, ratings: ratings(DEF_INDEX) },
        { id: 'bad', request: { query: { no_such_query: {} } }, ratings: ratings(DEF_INDEX) },
      ],
      metric: { dcg: { k: 3 } },
    };
    const r = await through.rankEval({ index: DEF_INDEX, body } as never).then(
      (x) => x.body as any,
      (err) => err.meta.body,
    );
    const e = await direct.rankEval({ index: DEF_INDEX, body } as never).then(
      (x) => x.body as any,
      (err) => err.meta.body,
    );
    // the engine's own verdict on the bad request (a 400 for the whole call, or a failure entry)
    if (e.error) expect(r.error?.type).toBe(e.error.type);
    else {
      expect(Object.keys(r.failures)).toEqual(Object.keys(e.failures));
      expect(r.vlrerank?.requests?.ok?.pipeline).toBe('p18c-re-def');
    }
  });
});
