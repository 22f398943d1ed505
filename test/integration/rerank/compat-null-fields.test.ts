/**
 * Optional fields sent as JSON `null` on the Cohere-compatible rerank APIs (held-out probe round 13b).
 * Cohere's Python SDK sends a keyword argument passed as `None` as `null`, and its own integrations do
 * so: langchain-cohere's `CohereRerank.rerank()` always passes `max_tokens_per_doc=None` (and
 * `top_n=None` when unset), so every call it made was a 400 "[max_tokens_per_doc] must be a positive
 * integer". Cohere's API, vLLM's and Jina's (pydantic `Optional` fields) read `null` as not given;
 * so does vlrerank now, on the request and on a document object's fields. Real server, real models.
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

const docs = ['a banana on a plate', 'a red apple on a wooden table', 'the stock market fell today'];
const nulls = { top_n: null, return_documents: null, max_tokens_per_doc: null, max_chunks_per_doc: null, rank_fields: null, instruction: null, fps: null, max_frames: null, truncate_prompt_tokens: null };

describe('null optional fields on the rerank-compatible APIs', () => {
  it.each(['/v1/rerank', '/v2/rerank', '/rerank'])("%s: langchain-cohere's body (max_tokens_per_doc: null) ranks as if the fields were absent", async (path) => {
    const plain = await post(path, { model: 'rerank-v3.5', query: 'red apple', documents: docs });
    // the exact wire body of langchain-cohere 0.6's CohereRerank(top_n=None).rerank(docs, query)
    const lc = await post(path, { model: 'rerank-v3.5', query: 'red apple', documents: docs, top_n: null, max_tokens_per_doc: null });
    expect(lc.status, JSON.stringify(lc.json)).toBe(200);
    expect(lc.json.results).toEqual(plain.json.results);
    const all = await post(path, { model: 'rerank-v3.5', query: 'red apple', documents: docs, ...nulls });
    expect(all.status, JSON.stringify(all.json)).toBe(200);
    expect(all.json.results).toEqual(plain.json.results);
  }, 120_000);

  it('a document object with a null field is read without it', async () => {
    const r = await post('/v1/rerank', { query: 'red apple', documents: [{ text: docs[0], image: null }, { text: docs[1], video: null, fps: null }] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.results[0].index).toBe(1);
    // echoed as sent
    expect(r.json.results[0].document).toEqual({ text: docs[1], video: null, fps: null });
  }, 120_000);

  it('a null query or documents is still a 400 naming it', async () => {
    const q = await post('/v1/rerank', { query: null, documents: docs });
    expect(q.status).toBe(400);
    expect(q.json.message).toContain('[query]');
    const d = await post('/v2/rerank', { query: 'x', documents: null });
    expect(d.status).toBe(400);
    expect(d.json.message).toContain('[documents]');
  }, 60_000);
});
