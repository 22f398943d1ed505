/**
 * Every body-level client mistake is a 4xx in the API's own shape, never a 500 (issue 13 found 11
 * of them): JSON nested 5,000 levels, `Content-Encoding: compress`, stacked `gzip, gzip`, a "gzip"
 * body that is not gzip, `charset=latin1`, a gzip bomb, and plain bad JSON — sent to the Cohere/Jina
 * API (`/v1/rerank`, `/v2/rerank`, `/rerank`: their error shape), to `/_vlrerank/rerank` and to
 * searches that vlrerank must look inside (a `vlrerank` block, an index with a default pipeline,
 * `_msearch`: ES-shaped, with `x-elastic-product` since the engine behind is Elasticsearch).
 * A real Elasticsearch behind, the real server; nothing reaches a model.
 */
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';

const KB = 'hard-http-kb';
const DEFAULT = 'hard-http-default';
const LIMIT = 1024 * 1024;
let es: string;
let srv: RunningServer;

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  srv = await startEdgeServer({
    upstream: es,
    server: { maxJsonBodyBytes: LIMIT },
    pipelinesDir: onlyPipelines({
      'kb.yaml': `name: hard-http-kb\nindex_patterns: [${KB}]\nfields: {text: [title]}\n`,
      'default.yaml': `name: hard-http-default\nindex_patterns: [${DEFAULT}]\ndefault: true\nfields: {text: [title]}\n`,
    }),
  });
  await srv.services.engine.info(); // our search-path errors name the product once it is known
});
afterAll(async () => {
  await srv?.close();
});

interface Case {
  name: string;
  headers: Record<string, string>;
  body: Buffer | string;
  status: number;
  code: string;
}

/** The request body of an endpoint, spoilt in each way the issue found. */
function cases(valid: string, deepBody: string): Case[] {
  const json = { 'content-type': 'application/json' };
  return [
    { name: 'JSON nested 5,000 levels', headers: json, body: deepBody, status: 400, code: 'VLR_JSON_TOO_DEEP' },
    { name: 'Content-Encoding: compress', headers: { ...json, 'content-encoding': 'compress' }, body: valid, status: 415, code: 'VLR_UNSUPPORTED_ENCODING' },
    { name: 'Content-Encoding: gzip, gzip', headers: { ...json, 'content-encoding': 'gzip, gzip' }, body: gzipSync(gzipSync(valid)), status: 415, code: 'VLR_UNSUPPORTED_ENCODING' },
    { name: 'a "gzip" body that is not gzip', headers: { ...json, 'content-encoding': 'gzip' }, body: valid, status: 400, code: 'VLR_BODY_DECODE' },
    { name: 'charset=latin1', headers: { 'content-type': 'application/json; charset=latin1' }, body: valid, status: 415, code: 'VLR_UNSUPPORTED_ENCODING' },
    {
      name: 'a gzip bomb (3 KB that inflates past the limit)',
      headers: { ...json, 'content-encoding': 'gzip' },
      body: gzipSync(valid.slice(0, -1) + ' '.repeat(3 * LIMIT) + '}'),
      status: 413,
      code: 'VLR_BODY_TOO_LARGE',
    },
  ];
}

async function send(path: string, c: Pick<Case, 'headers' | 'body'>) {
  const r = await request(srv.url + path, { method: 'POST', headers: c.headers, body: c.body });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, body: JSON.parse(text) as Record<string, any> };
}

const rerankDoc = { query: 'oat milk', documents: ['oat drink', { text: 'apple', extra: JSON.parse(deep(10)) }] };

describe.each(['/v1/rerank', '/v2/rerank', '/rerank'])('%s answers in the rerank API shape', (path) => {
  const deepDoc = JSON.stringify({ query: 'q', documents: [{ text: 'a', unknown_field: 0 }] }).replace('0}', `${deep(5000)}}`);
  it.each(cases(JSON.stringify(rerankDoc), deepDoc))('$name → $status', async (c) => {
    const r = await send(path, c);
    expect(r.status).toBe(c.status);
    expect(r.body).toMatchObject({ object: 'error', code: c.status, message: expect.any(String), detail: expect.any(String) });
    expect(r.body.error.vlrerank_code).toBe(c.code);
    expect(r.body.status).toBeUndefined(); // not the ES shape
  });

  it('bad JSON → 400 in its shape', async () => {
    const r = await send(path, { headers: { 'content-type': 'application/json' }, body: '{"query": "x", "documents": [' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ object: 'error', code: 400, message: expect.stringContaining('not valid JSON') });
  });
});

describe('/_vlrerank/rerank answers ES-shaped', () => {
  const deepBody = JSON.stringify({ query: { text: 'q' }, documents: [{ text: 'a' }], x: 0 }).replace('0}', `${deep(5000)}}`);
  it.each(cases(JSON.stringify({ query: { text: 'oat milk' }, documents: [{ text: 'oat drink' }] }), deepBody))('$name → $status', async (c) => {
    const r = await send('/_vlrerank/rerank', c);
    expect(r.status).toBe(c.status);
    expect(r.body).toMatchObject({ status: c.status, error: { type: expect.any(String), reason: expect.any(String), vlrerank_code: c.code } });
  });
});

describe.each([
  ['a vlrerank block', `/${KB}/_search`, (inner: string) => `{"query":{"bool":{"filter":${inner}}},"ext":{"vlrerank":{"query":"oat"}}}`],
  ['an index with a default pipeline', `/${DEFAULT}/_search`, (inner: string) => `{"query":{"bool":{"filter":${inner}}}}`],
  ['_msearch with a vlrerank block', '/_msearch', (inner: string) => `{"index":"${KB}"}\n{"query":{"bool":{"filter":${inner}}},"ext":{"vlrerank":{"query":"oat"}}}\n`],
])('a search with %s answers ES-shaped, with x-elastic-product', (_what, path, make) => {
  it.each(cases(make('[]'), make(deep(5000))))('$name → $status', async (c) => {
    const headers = path.includes('_msearch') && c.headers['content-type'] === 'application/json' ? { ...c.headers, 'content-type': 'application/x-ndjson' } : c.headers;
    const r = await send(path, { ...c, headers });
    expect(r.status).toBe(c.status);
    expect(r.body).toMatchObject({ status: c.status, error: { type: expect.any(String), reason: expect.any(String), vlrerank_code: c.code } });
    expect(r.headers['x-elastic-product']).toBe('Elasticsearch');
  });
});

/**
 * What a browser page of any origin may POST without a CORS preflight — `text/plain`, a form, a
 * multipart form, a typeless Blob — was read as JSON and reranked (200; held-out probe round 21c):
 * a page a visitor opened drove the models. Now 415 in each API's shape; JSON types still served.
 */
describe.each(['/v1/rerank', '/v2/rerank', '/rerank', '/v1/score', '/score', '/_vlrerank/rerank'])('%s reads only a body declared JSON', (path) => {
  const body = path === '/_vlrerank/rerank' ? JSON.stringify({ query: { text: 'oat milk' }, documents: [{ text: 'oat drink' }] }) : path.endsWith('score') ? JSON.stringify({ text_1: 'oat milk', text_2: ['oat drink'] }) : JSON.stringify(rerankDoc);
  it.each([
    ['text/plain;charset=UTF-8', 'Content-Type [text/plain'],
    ['application/x-www-form-urlencoded', 'Content-Type [application/x-www-form-urlencoded'],
    ['multipart/form-data; boundary=x', 'Content-Type [multipart/form-data'],
    [undefined, 'no Content-Type'],
  ])('%s → 415', async (type, said) => {
    const r = await send(path, { headers: type ? { 'content-type': type } : {}, body });
    expect(r.status).toBe(415);
    expect(r.body.error.vlrerank_code).toBe('VLR_CONTENT_TYPE');
    expect(JSON.stringify(r.body)).toContain(said);
  });
  it.each(['application/json', 'application/json; charset=utf-8', 'application/vnd.api+json'])('%s is read', async (type) => {
    const r = await send(path, { headers: { 'content-type': type }, body });
    expect(r.body.error?.vlrerank_code).not.toBe('VLR_CONTENT_TYPE');
    expect(r.status).not.toBe(415);
  });
});

it('the server still answers after all of them', async () => {
  const r = await request(`${srv.url}/_vlrerank/health`);
  expect(r.statusCode).toBeLessThan(500);
  await r.body.dump();
});
