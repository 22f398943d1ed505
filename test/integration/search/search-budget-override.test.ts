/**
 * `ext.vlrerank.budget_ms` shortens a search's rerank budget (never lengthens it: above the
 * pipeline's `budget_ms` → a 400 naming both). Spent, the search is answered as the pipeline's own
 * budget spent is: the first stage's hits, order and scores, flagged `degraded: "timeout"` with the
 * budget named — never a partly reranked order. Before (held-out probe round 10b) the key was a 400
 * `unknown field`. Real Elasticsearch 8.19, the official client, the knowledge-base pipeline (its
 * budget 300 s in tests), the real text model; the texts carry a fresh nonce so that no feature is
 * cached from an earlier run.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clientSearch, clientSearchRaw } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-budget-override-it';
const nonce = randomUUID();
const DOCS = Array.from({ length: 12 }, (_, i) => ({ title: `Note ${i} ${nonce}`, text: `${nonce} vitamin study ${i}: vitamin D, bones and fractures in older adults, sample ${i}.` }));
const QUERY = { match: { text: 'vitamin fractures' } };

describe('ext.vlrerank.budget_ms (Elasticsearch 8.19)', () => {
  const proxy = knowledgeBaseSuite('elasticsearch', INDEX, DOCS);

  it('a 1 ms budget on documents without records: the first stage, flagged timeout', async () => {
    const p = proxy();
    const direct = await clientSearch('elasticsearch', p.engineUrl, { index: INDEX, query: QUERY, size: 5 });
    const r = await clientSearchRaw('elasticsearch', p.url, { index: INDEX, query: QUERY, size: 5, ext: { vlrerank: { budget_ms: 1 } } });
    expect(r.statusCode).toBe(200);
    expect(r.body.vlrerank).toMatchObject({ degraded: 'timeout' });
    expect(r.body.vlrerank.reason).toMatch(/budget of 1 ms/);
    expect(r.headers['x-vlrerank-degraded']).toBe('VLR_TIMEOUT');
    expect(r.body.hits.hits.map((h: any) => [h._id, h._score])).toEqual(direct.hits.hits.map((h: any) => [h._id, h._score]));
    // the pipeline's own budget: reranked
    const full = await clientSearch('elasticsearch', p.url, { index: INDEX, query: QUERY, size: 5 });
    expect(full.vlrerank.degraded).toBe(false);
  });

  it('above the pipeline budget: a 400 naming it', async () => {
    const p = proxy();
    const r = await clientSearchRaw('elasticsearch', p.url, { index: INDEX, query: QUERY, ext: { vlrerank: { budget_ms: 300_001 } } });
    expect(r.statusCode).toBe(400);
    expect(r.body.error.reason).toMatch(/\[ext\.vlrerank\.budget_ms\] \[300001\] exceeds the budget \[300000\] of pipeline \[knowledge-base\]/);
    const bad = await clientSearchRaw('elasticsearch', p.url, { index: INDEX, query: QUERY, ext: { vlrerank: { budget_ms: 0 } } });
    expect(bad.statusCode).toBe(400);
  });
});
