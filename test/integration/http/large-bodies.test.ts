/**
 * Bodies of 256 KiB and more are read into one buffer chunk by chunk and parsed in the JSON worker
 * thread (issue 13 §2: the largest bodies must not stall health). Through the real server, with a
 * real Elasticsearch and real models, such bodies get the answers small ones get: the same scores
 * on /v1/rerank (a long document scores as its prefix the model reads), the same refusals in each
 * API's shape (too deep, not JSON, not what the coding says, a bomb), a reranked `_search` is
 * reranked, a large plain `_search` reaches the engine byte for byte, and a search body that is
 * not JSON gets the engine's own error.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { SMALL_BODY } from '../../../src/http/body.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';

const KB = 'bodyh-large-kb';
const LIMIT = 4 * 1024 * 1024;
let es: string;
let srv: RunningServer;

/** Filler that makes a body large without changing what a model reads (it comes after 300 KB of words). */
const filler = ' lorem'.repeat(Math.ceil(SMALL_BODY / 6) + 1000);

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  await fetch(`${es}/${KB}`, { method: 'DELETE' });
  const bulk = ['oat milk barista', 'apple juice', 'oat drink unsweetened'].flatMap((t, i) => [JSON.stringify({ index: { _index: KB, _id: String(i) } }), JSON.stringify({ title: t })]).join('\n') + '\n';
  await fetch(`${es}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
  srv = await startEdgeServer({
    upstream: es,
    server: { maxJsonBodyBytes: LIMIT },
    pipelinesDir: onlyPipelines({ 'kb.yaml': `name: bodyh-large-kb\nindex_patterns: [${KB}]\nfields: {text: [title]}\n` }),
  });
  await srv.services.engine.info();
});
afterAll(async () => {
  await srv?.close();
  await fetch(`${es}/${KB}`, { method: 'DELETE' }).catch(() => undefined);
});

async function send(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const r = await request(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: r.statusCode, body: JSON.parse(await r.body.text()) as Record<string, any> };
}

describe('/v1/rerank with a body past SMALL_BODY', () => {
  it('scores a long document as the text the model reads, and the others as in a small body', async () => {
    // words that do not repeat in a row: a run of one word is read once (src/rerank/repeats.ts), and
    // the model is to read its 512 tokens of this text from the large body as from the small one
    const long = 'oat milk for coffee' + Array.from({ length: 40_000 }, (_, i) => ` word${i}`).join('');
    const big = JSON.stringify({ query: 'oat milk', documents: [long, 'apple juice', 'oat drink'], return_documents: false });
    expect(big.length).toBeGreaterThan(SMALL_BODY);
    const small = JSON.stringify({ query: 'oat milk', documents: [long.slice(0, 40_000), 'apple juice', 'oat drink'], return_documents: false });
    const a = await send('/v1/rerank', big);
    const b = await send('/v1/rerank', small);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const scores = (r: typeof a) => Object.fromEntries((r.body.results as Array<{ index: number; relevance_score: number }>).map((x) => [x.index, x.relevance_score]));
    expect(scores(a)).toEqual(scores(b)); // bge reads 512 tokens: 40,000 characters hold them all
  });

  it.each([
    ['too deep', JSON.stringify({ query: 'q', documents: ['a' + filler] }).replace('"q"', `"q","x":${'['.repeat(2000)}${']'.repeat(2000)}`), {}, 400, 'VLR_JSON_TOO_DEEP'],
    ['not JSON', `{"query":"q","documents":["a${filler}"]`, {}, 400, 'VLR_PARSE'],
    ['a "gzip" body that is not gzip', JSON.stringify({ query: 'q', documents: ['a' + filler] }), { 'content-encoding': 'gzip' }, 400, 'VLR_BODY_DECODE'],
    // incompressible text first, so the compressed body itself is past SMALL_BODY (read by the worker)
    ['a gzip bomb', gzipSync(`{"query":"q","documents":["${randomBytes(SMALL_BODY).toString('base64')}${' '.repeat(2 * LIMIT)}"]}`), { 'content-encoding': 'gzip' }, 413, 'VLR_BODY_TOO_LARGE'],
  ] as const)('%s → %d in the rerank API shape', async (_name, body, headers, status, code) => {
    expect(body.length).toBeGreaterThan(SMALL_BODY);
    const r = await send('/v1/rerank', body, headers);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ object: 'error', code: status, message: expect.any(String) }); // the rerank API's shape
    expect(r.body.error.vlrerank_code).toBe(code);
    expect(r.body.status).toBeUndefined(); // not ES-shaped
  });
});

describe('_search with a body past SMALL_BODY', () => {
  it('a reranked search is reranked', async () => {
    const body = JSON.stringify({ size: 3, query: { match: { title: 'oat' } }, ext: { vlrerank: { query: 'oat milk' + filler } } });
    const r = await send(`/${KB}/_search`, body);
    expect(r.status).toBe(200);
    expect(r.body.vlrerank).toBeDefined();
    expect(r.body.hits.hits.length).toBe(2);
  });

  it('a plain search reaches the engine as sent', async () => {
    const body = JSON.stringify({ size: 3, query: { bool: { should: [{ match: { title: 'apple' } }], _name: 'n' + filler.replaceAll(' ', '_') } } });
    const direct = await send(`/${KB}/_search`, body);
    expect(direct.status).toBe(200);
    expect(direct.body.vlrerank).toBeUndefined();
    expect(direct.body.hits.hits.map((h: { _id: string }) => h._id)).toEqual(['1']);
  });

  it('a body that is not JSON gets the engine\u2019s own error; a deep reranked one an ES-shaped 400', async () => {
    const bad = await send(`/${KB}/_search`, `{"query":{"match":{"title":"${filler}"}}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.vlrerank_code).toBeUndefined();
    const deep = JSON.stringify({ query: { match_all: {} }, ext: { vlrerank: { query: 'q' + filler } } }).replace('{}', `{"x":${'['.repeat(2000)}${']'.repeat(2000)}}`);
    const d = await send(`/${KB}/_search`, deep);
    expect(d.status).toBe(400);
    expect(d.body.error.vlrerank_code).toBe('VLR_JSON_TOO_DEEP');
  });
});
