/**
 * The rerank APIs' answers gzip/deflate-coded for a client that accepts it (held-out probe round 13b).
 * The Cohere SDK (fetch), Cohere's Python SDK and Jina's/vLLM's clients (httpx) send
 * `Accept-Encoding: gzip` and decode the answer; vlrerank answered identity always — 1,000 documents
 * echoed by /v1/rerank went out at full size (12 MB for 12 MB of text). Coded from CODE_FROM_BYTES on,
 * never in a coding the client did not take. Real server and models, the official Cohere SDK.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { CohereClient } from 'cohere-ai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_FROM_BYTES } from '../../../src/http/rerank-routes.js';
import type { RunningServer } from '../../../src/server/start.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.warmup': false });
}, 300_000);
afterAll(async () => {
  await srv?.close();
});

const docs = Array.from({ length: 200 }, (_, i) => `document ${i}: ${i % 7 ? 'the stock market fell today' : 'a red apple on a wooden table'} (${'filler words '.repeat(10)})`);

/** POSTs `body` as JSON with `accept-encoding` (undici's request does not decode): status, headers and the raw bytes. */
async function post(path: string, body: unknown, acceptEncoding?: string) {
  const r = await request(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) }, body: JSON.stringify(body) });
  const bytes = Buffer.from(await r.body.arrayBuffer());
  return { status: r.statusCode, coding: r.headers['content-encoding'], type: r.headers['content-type'], bytes };
}

describe('answer coding on the rerank APIs', () => {
  it('the Cohere SDK gets a gzip-coded answer and reads it', async () => {
    const v1 = new CohereClient({ token: 'any', environment: srv.url });
    const { data, rawResponse } = await v1.rerank({ query: 'red apple', documents: docs, returnDocuments: true }).withRawResponse();
    expect(rawResponse.headers.get('content-encoding')).toBe('gzip');
    expect(data.results).toHaveLength(200);
    expect(data.results[0]!.document?.text).toBe(docs[data.results[0]!.index]);
    expect(data.results[0]!.index % 7).toBe(0);
  }, 120_000);

  it.each([
    ['/v1/rerank', { query: 'red apple', documents: docs }],
    ['/v2/rerank', { query: 'red apple', documents: docs, return_documents: true }],
    ['/rerank', { query: 'red apple', texts: docs, return_text: true }],
    ['/v1/score', { text_1: 'red apple', text_2: docs }],
    ['/_vlrerank/rerank', { query: 'red apple', documents: docs }],
  ])('%s: gzip or deflate as accepted, the same JSON as identity; identity when not accepted', async (path, body) => {
    const plain = await post(path, body);
    expect(plain.status).toBe(200);
    expect(plain.coding).toBeUndefined();
    expect(plain.type).toMatch(/^application\/json/);
    const strip = (j: any) => (Array.isArray(j) ? j : { ...j, id: undefined, created: undefined, timings: undefined });
    const expected = strip(JSON.parse(plain.bytes.toString()));
    const gz = await post(path, body, 'gzip, deflate');
    expect(gz.coding).toBe('gzip');
    expect(gz.bytes.length).toBeLessThan(plain.bytes.length / 3);
    expect(strip(JSON.parse(gunzipSync(gz.bytes).toString()))).toEqual(expected);
    const df = await post(path, body, 'gzip;q=0.5, deflate');
    expect(df.coding).toBe('deflate');
    expect(strip(JSON.parse(inflateSync(df.bytes).toString()))).toEqual(expected);
    for (const refused of ['gzip;q=0', 'br', 'identity']) expect((await post(path, body, refused)).coding, refused).toBeUndefined();
  }, 120_000);

  it(`an answer under ${CODE_FROM_BYTES} bytes goes out as it is`, async () => {
    const small = await post('/v2/rerank', { query: 'red apple', documents: ['a red apple', 'a banana'] }, 'gzip');
    expect(small.bytes.length).toBeLessThan(CODE_FROM_BYTES);
    expect(small.coding).toBeUndefined();
    expect(JSON.parse(small.bytes.toString()).results[0].index).toBe(0);
  }, 60_000);
});
