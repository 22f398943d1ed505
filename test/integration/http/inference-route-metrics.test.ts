/**
 * The request metrics of Elasticsearch's Inference API and OpenSearch ml-commons' `_predict` on a
 * pipeline's name (held-out probe round 33b): both are rerank calls answered by vlrerank, yet
 * `vlrerank_requests_total` and the duration histogram counted them under `route="proxy"`, among
 * the bytes passed to the engine. Now `route="inference"` and `route="predict"`, as the rerank APIs
 * have `route="rerank"`. Real OpenSearch 2.19, the official client's calls, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { osClient, sendJson, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const count = (text: string, route: string, status: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`vlrerank_requests_total{route="${route}",status="${status}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('_inference and _predict have route labels of their own in the request metrics', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('opensearch');
  });
  afterAll(async () => p?.close());

  it('counts each under its own route, not under proxy', async () => {
    const before = (await sendJson(p.url, 'GET', '/_vlrerank/metrics')).text;
    const inf = await sendJson(p.url, 'POST', '/_inference/rerank/grocery', { query: 'red apple', input: ['a red apple', 'oat milk'] });
    expect(inf.status, inf.text).toBe(200);
    const pred = await osClient(p.url).transport.request({ method: 'POST', path: '/_plugins/_ml/models/grocery/_predict', body: { query_text: 'red apple', text_docs: ['a red apple', 'oat milk'] } });
    expect(pred.statusCode).toBe(200);
    const after = (await sendJson(p.url, 'GET', '/_vlrerank/metrics')).text;
    expect(count(after, 'inference', '200') - count(before, 'inference', '200')).toBe(1);
    expect(count(after, 'predict', '200') - count(before, 'predict', '200')).toBe(1);
    expect(count(after, 'proxy', '200')).toBe(count(before, 'proxy', '200'));
  });
});
