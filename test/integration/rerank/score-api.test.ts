/**
 * vLLM's score API, `POST /score` and `/v1/score`, on a real server over the real models: before,
 * these paths were forwarded to the engine (405/400 there). vLLM's shapes (vllm/entrypoints …
 * score protocol: ScoreRequest `text_1`/`text_2` — or `queries`/`documents`, `data_1`/`data_2` —
 * and `truncate_prompt_tokens`; ScoreResponse `{id, object: "list", created, model, data: [{index,
 * object: "score", score}], usage}`), its pairing rule (1:1, 1:N, N:N element-wise, else "Input
 * lengths must be either 1:1, 1:N or N:N"), the same scores as /v1/rerank gives the same pairs,
 * errors in the rerank API's shape, and the same admission (an early 429 with Retry-After).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../../src/server/start.js';
import { DATA } from '../../helpers/paths.js';
import { postJson, startRerankServer } from '../../helpers/rerank-server.js';

let srv: RunningServer;
const sk = readFileSync(join(DATA, 'skimage-clip-smoke/descriptions.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { image: string; name: string });
const img = (name: string) => `skimage-clip-smoke/${sk.find((x) => x.name === name)!.image}`;

const post = (path: string, body: unknown) => postJson(srv.url, path, body);

/** /v1/rerank's score of each document for this query, in input order. */
async function rerankScores(query: unknown, documents: unknown[]): Promise<number[]> {
  const r = await post('/v1/rerank', { query, documents });
  expect(r.status).toBe(200);
  const out = new Array<number>(documents.length);
  for (const x of r.json.results) out[x.index] = x.relevance_score;
  return out;
}

beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.maxDocuments': 6, 'rerank.maxConcurrentRequests': 1, 'rerank.admission.maxQueued': 2, 'rerank.admission.clientShare': 1 });
}, 300_000);
afterAll(async () => {
  await srv?.close();
});

const docs = ['a rocket on a launch pad', 'a cup of coffee on a saucer', 'a horse in a field'];

describe('POST /score, /v1/score', () => {
  it('1:N: one text_1 against each text_2, in input order, vLLM response shape, the scores /v1/rerank gives', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await post('/score', { model: 'bge-reranker', text_1: 'a cup of coffee', text_2: docs });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ object: 'list', model: 'bge-reranker' });
    expect(r.json.id).toMatch(/^score-/);
    expect(r.json.created).toBeGreaterThanOrEqual(before);
    expect(r.json.data.map((d: any) => [d.index, d.object])).toEqual([[0, 'score'], [1, 'score'], [2, 'score']]);
    const want = await rerankScores('a cup of coffee', docs);
    r.json.data.forEach((d: any, i: number) => expect(d.score).toBeCloseTo(want[i]!, 6));
    expect(r.json.data[1].score).toBeGreaterThan(r.json.data[0].score);
    expect(r.json.usage).toMatchObject({ prompt_tokens: expect.any(Number), total_tokens: r.json.usage.prompt_tokens, completion_tokens: 0 });
    for (const h of ['x-vlrerank-queue-ms', 'x-vlrerank-total-ms']) expect(Number(r.headers.get(h))).toBeGreaterThanOrEqual(0);
  });

  it('N:N pairs element-wise (each pair scored as /v1/rerank scores it alone); 1:1 strings; a one-element text_1 list is 1:N', async () => {
    const q = ['a rocket launch', 'a cup of coffee', 'a cup of coffee'];
    const r = await post('/v1/score', { text_1: q, text_2: docs });
    expect(r.status).toBe(200);
    expect(r.json.data).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(r.json.data[i].score).toBeCloseTo((await rerankScores(q[i], [docs[i]]))[0]!, 5);
    // coffee against the coffee cup is a match, coffee against the horse is not (one text_1, two pairs)
    expect(r.json.data[1].score).toBeGreaterThan(r.json.data[2].score);
    const one = await post('/v1/score', { text_1: 'a cup of coffee', text_2: 'a cup of coffee on a saucer' });
    expect(one.json.data).toHaveLength(1);
    expect(one.json.data[0].score).toBeCloseTo(r.json.data[1].score, 5);
    const list1 = await post('/score', { text_1: ['a cup of coffee'], text_2: docs });
    expect(list1.json.data).toHaveLength(3);
  });

  it('newer vLLM spellings (queries/documents, data_1/data_2) score as text_1/text_2; items may be images', async () => {
    const a = await post('/score', { text_1: 'a horse', text_2: docs });
    const b = await post('/score', { queries: 'a horse', documents: docs });
    const c = await post('/v1/score', { data_1: 'a horse', data_2: docs });
    for (const x of [b, c]) x.json.data.forEach((d: any, i: number) => expect(d.score).toBeCloseTo(a.json.data[i].score, 6));
    const m = await post('/score', { text_1: 'a facial photo of a tabby cat', text_2: [{ content: [{ type: 'image_url', image_url: { url: img('chelsea') } }] }, { image: img('coffee') }] });
    expect(m.status).toBe(200);
    expect(m.json.data[0].score).toBeGreaterThan(m.json.data[1].score);
  });

  it('bad input: a 400 in the rerank API shape, with vLLM\'s words for the pairing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ text_1: ['a', 'b'], text_2: ['x', 'y', 'z'] }, 'Input lengths must be either 1:1, 1:N or N:N'],
      [{ text_1: [], text_2: ['x'] }, 'At least one text element must be given'],
      [{ text_1: 'a', text_2: [] }, 'At least one text_pair element must be given'],
      [{ text_1: 'a' }, '[text_2] is required'],
      [{ text_2: 'a' }, '[text_1] is required'],
      [{ queries: 'a' }, '[documents] is required'],
      [{ query: 'a', documents: ['x'] }, '[queries] is required'],
      [{ text_1: 'a', text_2: 'x', queries: 'a', documents: ['x'] }, 'give the pair once'],
      [{ text_1: 'a', text_2: ['x'], truncate_prompt_tokens: 0 }, '[truncate_prompt_tokens] must be a positive integer or -1'],
      [{ text_1: 'a', text_2: [1] }, '[text_2[0]] must be a string or an object'],
      [{ text_1: 'a', text_2: Array(7).fill('x') }, 'too many pairs: 7 > 6'],
      [{ text_1: Array(7).fill('q'), text_2: Array(7).fill('x') }, 'too many pairs: 7 > 6'],
      [[1], '[(root)]'],
      [{ text_1: ' ', text_2: ['x'] }, '[text_1] must be a non-empty string'],
    ];
    for (const [body, reason] of cases) {
      const r = await post('/v1/score', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json).toMatchObject({ object: 'error', code: 400 });
      expect(r.json.message, JSON.stringify(body)).toContain(reason);
      expect(r.json.detail).toBe(r.json.message);
    }
  });

  // process() named what it was given — `[query]` for an empty text_1, `[documents[0].image]` for
  // text_2[1] (the first of its group) — fields a score client never sent (held-out probe round 31a)
  it("a mistake in one pair names the client's own field and index, not process()'s query/documents", async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ text_1: '', text_2: 'x' }, '[text_1] must be a non-empty string', 'text_1'],
      [{ text_1: ['coffee', '  '], text_2: ['x', 'y'] }, '[text_1[1]] must be a non-empty string', 'text_1[1]'],
      [{ text_1: ['coffee', 'tea'], text_2: ['x', { image: '' }] }, '[text_2[1].image] must be a non-empty string', 'text_2[1].image'],
      [{ queries: ['coffee', 'tea'], documents: ['x', { image: '' }] }, '[documents[1].image] must be a non-empty string', 'documents[1].image'],
      [{ data_1: 'coffee', data_2: ['x', 'y', { text: 'z', video: 'clip.mp4', fps: 0 }] }, '[data_2[2].fps]', 'data_2[2].fps'],
    ];
    for (const [body, reason, param] of cases) {
      const r = await post('/score', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.message, JSON.stringify(body)).toContain(reason);
      expect(r.json.error.param, JSON.stringify(body)).toBe(param);
      expect(JSON.stringify(r.json)).not.toMatch(/\[query|documents\[0\]/);
    }
  });

  // a pydantic-built client sends the spellings it does not use as null: `queries: null` beside
  // text_1 was a 400 "give the pair once" (held-out probe round 31a), where /v1/rerank reads null as not given
  it('a field sent as null is not given', async () => {
    const r = await post('/score', { model: null, text_1: 'a cup of coffee', text_2: ['a cup of coffee', 'a horse'], queries: null, documents: null, data_1: null, data_2: null, truncate_prompt_tokens: null });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.data.map((d: any) => d.score)).toEqual(await rerankScores('a cup of coffee', ['a cup of coffee', 'a horse']));
    expect(r.json.model).toBe('vlrerank');
  });

  it('truncate_prompt_tokens cuts each text_2 (-1: the model\'s own length)', async () => {
    const long = 'a cup of coffee on a saucer. ' + 'the rocket lifts off from its launch pad. '.repeat(20);
    const cut = await post('/score', { text_1: 'a cup of coffee', text_2: [long], truncate_prompt_tokens: 9 });
    const alone = await post('/score', { text_1: 'a cup of coffee', text_2: [long] });
    const none = await post('/score', { text_1: 'a cup of coffee', text_2: [long], truncate_prompt_tokens: -1 });
    expect(cut.status).toBe(200);
    expect(none.json.data[0].score).toBeCloseTo(alone.json.data[0].score, 6);
    expect(cut.json.data[0].score).not.toBeCloseTo(alone.json.data[0].score, 3);
  });

  it('shares the rerank admission: refused early with a 429 in the rerank API shape and Retry-After', async () => {
    const a = srv.services.reranker.admission;
    const hold = { cost: 1, kind: 'held-by-score-test' };
    const held = await a.acquire(hold);
    const queued = [a.acquire(hold), a.acquire(hold)];
    try {
      for (const path of ['/score', '/v1/score', '/V1/Score/']) {
        const r = await post(path, { text_1: 'a', text_2: ['b'] });
        expect(r.status, path).toBe(429);
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(r.json).toMatchObject({ object: 'error', code: 429, type: 'es_rejected_execution_exception' });
      }
    } finally {
      held.release();
      for (const q of queued) (await q).release();
    }
  });
});
