/**
 * The answers vlrerank makes itself on a search path carry the product header the engine writes on
 * every answer: OpenSearch 3.x's `X-OpenSearch-Version: OpenSearch/3.6.0 (opensearch)` (opensearch-js
 * and Dashboards read it), Elasticsearch's `x-elastic-product` (kept as it was); OpenSearch 2.19
 * writes none, so none is made up, and none of OpenSearch's in front of Elasticsearch. Before (held-out
 * probe round 13f, left; fix14) vlrerank's own 400 (a rerank ask it refuses), 503 (a `fail_closed`
 * rerank whose model fails) and the 200 of an `_msearch` whose every item it refused lacked it on
 * OpenSearch 3.6. Each compared with the engine's own answer to a request it refuses. Real engines,
 * the official clients, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vlrError } from '../../../src/errors.js';
import type { Scorer, ScoredDocument } from '../../../src/search/hit-scorer.js';
import { clientSearchRaw, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'f14-osver-own';
const pipeline = (name: string, failure: string) => `name: ${name}
index_patterns: [${INDEX}]
fields:
  text: [title]
first_stage: { text_query: bm25, match_fields: [title] }
window: { default: 10, max: 50 }
failure: ${failure}
`;
/** The model fails (as onnxruntime does on a corrupt session): a fault the real model cannot be made to produce on demand. */
class FailingScorer implements Scorer {
  async score(): Promise<ScoredDocument[]> {
    throw vlrError('VLR_MODEL_RUNTIME', 'onnxruntime failed to run the text embedder');
  }
}
const PRODUCT = ['x-opensearch-version', 'x-elastic-product'] as const;
const product = (h: Record<string, unknown>) => Object.fromEntries(PRODUCT.map((k) => [k, h[k]]));

describe.each(['opensearch3', 'opensearch', 'elasticsearch'] as const)('the engine\'s product header on vlrerank\'s own answers (%s)', (engine) => {
  const pipelines = pipelinesDir({ 'f14-open.yaml': pipeline('f14-osver-open', 'fail_open'), 'f14-closed.yaml': pipeline('f14-osver-closed', 'fail_closed') });
  let p: SearchProxy;
  /** The engine's own product headers, from its answer to a search it refuses. */
  let expected: Record<string, unknown>;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelines });
    await p.engine.json('DELETE', `/${INDEX}`);
    for (const [i, title] of ['apple pie', 'apple juice', 'honey cake'].entries()) await p.engine.json('PUT', `/${INDEX}/_doc/${i}`, { title });
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    const direct = await clientSearchRaw(engine, p.engineUrl, { index: INDEX, body: { query: { no_such_query: {} } } });
    expect(direct.statusCode).toBe(400);
    expected = product(direct.headers);
    if (engine === 'opensearch3') expect(expected['x-opensearch-version']).toMatch(/^OpenSearch\/3\.6\.\d+ \(opensearch\)$/);
    else expect(expected['x-opensearch-version']).toBeUndefined();
    expect(expected['x-elastic-product']).toBe(engine === 'elasticsearch' ? 'Elasticsearch' : undefined);
    // a reranked search first: the engine is known once vlrerank has asked it something
    const r = await clientSearchRaw(engine, p.url, { index: INDEX, body: { query: { match: { title: 'apple' } }, ext: { vlrerank: { query: 'pie', pipeline: 'f14-osver-open' } } } });
    expect(r.statusCode).toBe(200);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('a rerank ask vlrerank refuses: its 400 carries it', async () => {
    const r = await clientSearchRaw(engine, p.url, { index: INDEX, body: { query: { match: { title: 'apple' } }, ext: { vlrerank: { query: 'pie', pipeline: 'f14-osver-open', window: 5000 } } } });
    expect(r.statusCode).toBe(400);
    expect(r.body.error.reason).toContain('window');
    expect(product(r.headers)).toEqual(expected);
  });

  it('a fail_closed rerank whose model fails: its 503 carries it', async () => {
    const failing = await startSearchProxy(engine, { pipelinesDir: pipelines, scorer: new FailingScorer() });
    try {
      const r = await clientSearchRaw(engine, failing.url, { index: INDEX, body: { query: { match: { title: 'apple' } }, ext: { vlrerank: { query: 'pie', pipeline: 'f14-osver-closed' } } } });
      expect(r.statusCode).toBe(503);
      expect(r.body.error.type).toBe('rerank_failed_exception');
      expect(product(r.headers)).toEqual(expected);
    } finally {
      await failing.close();
    }
  });

  it('an _msearch whose every item vlrerank refused: its 200 carries it', async () => {
    const res = await fetch(`${p.url}/_msearch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ index: INDEX })}\n${JSON.stringify({ query: { match: { title: 'apple' } }, ext: { vlrerank: { query: 'pie', pipeline: 'f14-osver-open', window: 5000 } } })}\n`,
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.responses[0].status).toBe(400);
    expect(product(Object.fromEntries(res.headers))).toEqual(expected);
  });
});
