/**
 * vLLM's multimodal score and rerank inputs (held-out probe round 13b): a side given as ONE
 * `{"content": [parts]}` object (vLLM's `ScoreMultiModalParam`) is a list — each content part is
 * its own input, "preserves 1:N scoring behavior" (vllm/entrypoints/score_utils.py `_normalize`),
 * as vLLM's own examples send it (examples/pooling/score/vision_score_api_online.py,
 * vision_rerank_api_online.py). vlrerank merged the parts into one item — two photos a 400 "only one
 * image per item", a text and a photo scored as ONE document — and refused it as `documents` on
 * the rerank APIs ("[documents] must be an array"). A list of `{content}` objects is still one
 * input each. Real server, real models, real photos.
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

const rocket = { type: 'image_url', image_url: { url: 'skimage-clip-smoke/images/rocket.jpg' } };
const coffee = { type: 'image_url', image_url: { url: 'skimage-clip-smoke/images/coffee.png' } };
const text = { type: 'text', text: 'a cup of coffee on a saucer' };

describe("vLLM's ScoreMultiModalParam as one side", () => {
  it.each(['/score', '/v1/score'])('%s: text_2 {content: [photo, photo, text]} scores each part as its own document', async (path) => {
    const r = await post(path, { model: 'm', text_1: 'a rocket launching into the sky', text_2: { content: [coffee, rocket, text] } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.data.map((d: any) => d.index)).toEqual([0, 1, 2]);
    const s = r.json.data.map((d: any) => d.score);
    expect(s[1]).toBeGreaterThan(s[0]);
    expect(s[1]).toBeGreaterThan(s[2]);
    // the same scores as the list of one-part items
    const list = await post(path, { model: 'm', text_1: 'a rocket launching into the sky', text_2: [{ content: [coffee] }, { content: [rocket] }, { content: [text] }] });
    expect(list.json.data.map((d: any) => d.score)).toEqual(s);
  }, 120_000);

  it('text_1 {content: [one part]} is one query against N documents', async () => {
    const r = await post('/score', { text_1: { content: [{ type: 'text', text: 'a rocket launching' }] }, text_2: ['a rocket on a launch pad', 'a cup of coffee'] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.data).toHaveLength(2);
    expect(r.json.data[0].score).toBeGreaterThan(r.json.data[1].score);
  }, 60_000);

  it.each(['/v1/rerank', '/v2/rerank', '/rerank'])('%s: documents {content: [text, photo]} ranks each part, echoed as vLLM does', async (path) => {
    const r = await post(path, { model: 'm', query: 'a rocket launching into the sky', documents: { content: [text, rocket] }, return_documents: true });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.results.map((x: any) => x.index)).toEqual([1, 0]);
    // vLLM's RerankDocument: {text} for a text part, {multi_modal: part} for a photo
    expect(r.json.results[0].document).toEqual({ multi_modal: rocket });
    expect(r.json.results[1].document).toEqual({ text: text.text });
  }, 120_000);

  it('an empty or malformed content list is a 400 naming it', async () => {
    const empty = await post('/v1/rerank', { query: 'q', documents: { content: [] } });
    expect(empty.status).toBe(400);
    expect(empty.json.message).toContain('[documents]');
    const part = await post('/v1/rerank', { query: 'q', documents: { content: [{ type: 'audio', audio: 'x' }] } });
    expect(part.status).toBe(400);
    expect(part.json.message).toContain('[documents.content[0]');
    const notList = await post('/score', { text_1: 'q', text_2: { content: 'nope' } });
    expect(notList.status).toBe(400);
    expect(notList.json.message).toContain('[text_2');
  }, 60_000);
});
