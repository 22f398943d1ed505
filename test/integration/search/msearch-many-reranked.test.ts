/**
 * One `_msearch` of many reranked searches is answered as the same searches sent one after the
 * other: each reranked, none shed by the rerank queue as `overloaded`. Before (held-out probe round
 * 10b) all its items asked the queue at once and the client's share of it shed most of them (34 of
 * 50 on SciFact). The items now take turns (`max_concurrent_searches`, else 4, as Elasticsearch runs
 * them on one node of 2 cores). Real Elasticsearch 8.19, the official client's `msearch`, the
 * knowledge-base pipeline, the real text model. Its items wait on one client signal: no
 * MaxListenersExceededWarning in an operator's log for it (each item had added a listener of its own).
 */
import { describe, expect, it } from 'vitest';
import { esClient } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-msearch-many-it';
const TOPICS = ['vitamin D and bone fractures', 'iron deficiency anaemia', 'sunlight and skin', 'vitamin C and the common cold', 'sleep and memory', 'exercise and the heart'];
const DOCS = TOPICS.map((t, i) => ({ title: `Note ${i}`, text: `A study of ${t}.` }));

describe('an _msearch of 40 reranked searches (Elasticsearch 8.19)', () => {
  const proxy = knowledgeBaseSuite('elasticsearch', INDEX, DOCS);

  it('reranks every item, none shed as overloaded', async () => {
    const p = proxy();
    const queries = Array.from({ length: 40 }, (_, i) => TOPICS[i % TOPICS.length]!);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const res = await esClient(p.url)
      .msearch({ searches: queries.flatMap((q) => [{ index: INDEX }, { query: { match: { text: q } }, size: 3, ext: { vlrerank: { query: { text: q } } } }]) } as never)
      .finally(() => new Promise((r) => setImmediate(r)).then(() => process.off('warning', onWarning)));
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    const items = res.responses as any[];
    expect(items).toHaveLength(40);
    const degraded = items.filter((r) => r.vlrerank?.degraded !== false).map((r) => r.vlrerank?.degraded ?? r.error?.type);
    expect(degraded).toEqual([]);
    // each item is its own query's answer, as the search alone gives it
    const alone = (await esClient(p.url).search({ index: INDEX, query: { match: { text: queries[5]! } }, size: 3, ext: { vlrerank: { query: { text: queries[5]! } } } } as never)) as any;
    expect(items[5].hits.hits.map((h: any) => [h._id, h._score])).toEqual(alone.hits.hits.map((h: any) => [h._id, h._score]));
  });
});
