/**
 * The answers vlrerank builds on engine-shaped paths follow the engines' common REST parameters, as
 * the same parameters do on the engine's own APIs: `filter_path`, `?pretty`, `format`/`Accept`
 * (yaml, cbor). `GET /_vlrerank/health?filter_path=status` (the `_cluster/health?filter_path=status`
 * idiom), `_inference/rerank/<pipeline>?pretty` and ml-commons' `_predict?format=yaml` came back
 * whole and compact before. The vendors' paths (`/v1/rerank`) stay plain JSON, as their APIs are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from 'cbor-x';
import { esClient, osClient, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const QUERY = 'oat milk';
const INPUT = ['oatly oat drink', 'a plate of pasta'];

async function get(url: string, path: string, init: RequestInit = {}): Promise<{ status: number; text: string; type: string | null; bytes: Buffer }> {
  const r = await fetch(url + path, init);
  const bytes = Buffer.from(await r.arrayBuffer());
  return { status: r.status, text: bytes.toString('utf8'), type: r.headers.get('content-type'), bytes };
}
const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) => get(url, path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe("vlrerank's own answers and the engines' common parameters (Elasticsearch 8.19)", () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch');
  });
  afterAll(async () => {
    await p?.close();
  });

  it('GET /_vlrerank/health?filter_path=status answers only the status, ?pretty indents it', async () => {
    const r = await get(p.url, '/_vlrerank/health?filter_path=status,upstream.engine.distribution');
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ status: expect.stringMatching(/^(green|yellow)$/), upstream: { engine: { distribution: 'elasticsearch' } } });
    const pretty = await get(p.url, '/_vlrerank/health?pretty&filter_path=status');
    expect(pretty.text).toMatch(/^\{\n {2}"status" : "|^\{\n {2}"status": "/);
    expect(pretty.text.endsWith('\n')).toBe(true);
    const plain = await get(p.url, '/_vlrerank/health');
    expect(Object.keys(JSON.parse(plain.text))).toContain('feature_store');
    expect(plain.text).not.toContain('\n');
  });

  it('/_vlrerank/pipelines and /_vlrerank/models take filter_path and format=yaml', async () => {
    const names = await get(p.url, '/_vlrerank/pipelines?filter_path=pipelines.name');
    expect(JSON.parse(names.text)).toEqual({ pipelines: expect.arrayContaining([{ name: 'grocery' }]) });
    expect(JSON.parse(names.text).pipelines.every((x: object) => Object.keys(x).length === 1)).toBe(true);
    const y = await get(p.url, '/_vlrerank/pipelines/grocery?format=yaml&filter_path=pipeline.name');
    expect(y.type).toMatch(/^application\/yaml/);
    expect(y.text).toBe('---\npipeline:\n  name: "grocery"\n');
    const models = await get(p.url, '/_vlrerank/models?filter_path=-**');
    expect(models.status).toBe(200);
    expect(JSON.parse(models.text)).toEqual({});
  });

  it("POST _inference/rerank/<pipeline> with the official client's filter_path; ?pretty and Accept: application/cbor", async () => {
    const client = esClient(p.url);
    const r = (await client.inference.rerank({ inference_id: 'grocery', query: QUERY, input: INPUT, filter_path: 'rerank.index' })) as unknown;
    expect(r).toEqual({ rerank: [{ index: 0 }, { index: 1 }] });
    const pretty = await post(p.url, '/_inference/rerank/grocery?pretty', { query: QUERY, input: INPUT });
    expect(pretty.text.split('\n').length).toBeGreaterThan(5);
    expect(JSON.parse(pretty.text).rerank).toHaveLength(2);
    const cbor = await post(p.url, '/_inference/rerank/grocery?filter_path=rerank.text', { query: QUERY, input: INPUT }, { accept: 'application/cbor' });
    expect(cbor.type).toMatch(/^application\/cbor/);
    expect(decode(cbor.bytes)).toEqual({ rerank: [{ text: INPUT[0] }, { text: INPUT[1] }] });
    const described = await get(p.url, '/_inference/grocery?filter_path=endpoints.inference_id,endpoints.service');
    expect(JSON.parse(described.text)).toEqual({ endpoints: [{ inference_id: 'grocery', service: 'vlrerank' }] });
  });

  it('POST /_vlrerank/rerank takes filter_path; /v1/rerank (the vendors\' shape) stays whole JSON', async () => {
    const own = await post(p.url, '/_vlrerank/rerank?filter_path=results.index', { query: QUERY, documents: INPUT });
    expect(JSON.parse(own.text)).toEqual({ results: [{ index: 0 }, { index: 1 }] });
    const v1 = await post(p.url, '/v1/rerank?filter_path=results.index&pretty', { query: QUERY, documents: INPUT });
    expect(v1.status, v1.text).toBe(200);
    expect(v1.text).not.toContain('\n');
    expect(JSON.parse(v1.text).results[0]).toHaveProperty('relevance_score');
  });

  it('an error keeps its whole ES shape under filter_path (the engines do not filter errors)', async () => {
    const r = await post(p.url, '/_inference/rerank/grocery?filter_path=rerank.index', { query: QUERY });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ error: { type: expect.any(String), reason: expect.stringContaining('input') }, status: 400 });
  });
});

describe("ml-commons' _predict on a pipeline and the engines' common parameters (OpenSearch 2.19)", () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('opensearch');
  });
  afterAll(async () => {
    await p?.close();
  });

  it('format=yaml and filter_path, through the official client as well', async () => {
    const y = await post(p.url, '/_plugins/_ml/models/grocery/_predict?format=yaml&filter_path=inference_results.output.name', { query_text: QUERY, text_docs: INPUT.slice(0, 1) });
    expect(y.status, y.text).toBe(200);
    expect(y.text).toBe('---\ninference_results:\n-\n  output:\n  -\n    name: "similarity"\n');
    const client = osClient(p.url);
    const r = await client.transport.request({ method: 'POST', path: '/_plugins/_ml/models/grocery/_predict', querystring: { filter_path: 'inference_results.output.data' }, body: { query_text: QUERY, text_docs: INPUT } });
    expect(r.body.inference_results).toHaveLength(2);
    for (const x of r.body.inference_results) expect(Object.keys(x.output[0])).toEqual(['data']);
  });
});
