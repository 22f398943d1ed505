/**
 * Cohere v1's `rank_fields` reads a document's own fields only. A field name that is also a method
 * every object inherits (`constructor`, `toString`, `valueOf`, `hasOwnProperty`) was read off
 * Object.prototype on a document without that field: a 400 "[documents[0].constructor] a field named
 * in rank_fields must be a string…" for a document that simply lacks it — where a missing field is
 * left out (held-out probe round 24b). A document that has such a field is ranked on it. Real
 * server, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { postJson, startRerankServer } from '../../helpers/rerank-server.js';

let srv: RunningServer;
const post = (path: string, body: unknown) => postJson(srv.url, path, body);

beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.warmup': false });
}, 300_000);
afterAll(async () => {
  await srv?.close();
});

const documents = [{ title: 'the stock market fell today' }, { title: 'a red apple on a wooden table' }];

describe('/v1/rerank rank_fields naming an inherited method', () => {
  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'])('[%s] a document lacks: left out, as any missing field', async (name) => {
    const plain = await post('/v1/rerank', { query: 'red apple', documents, rank_fields: ['title'] });
    const r = await post('/v1/rerank', { query: 'red apple', documents, rank_fields: [name, 'title'] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.results).toEqual(plain.json.results);
    expect(r.json.results[0].index).toBe(1);
  }, 120_000);

  it('[constructor] alone, which no document has: the 400 naming the document', async () => {
    const r = await post('/v1/rerank', { query: 'red apple', documents, rank_fields: ['constructor'] });
    expect(r.status).toBe(400);
    expect(r.json.message).toContain('[documents[0]] has none of the rank_fields [constructor]');
  });

  it('a document that has a field named constructor is ranked on it', async () => {
    const r = await post('/v1/rerank', { query: 'red apple', documents: [{ constructor: 'the stock market fell today' }, { constructor: 'a red apple on a wooden table' }], rank_fields: ['constructor'] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.results[0].index).toBe(1);
  }, 120_000);
});
