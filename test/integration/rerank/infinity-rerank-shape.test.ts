/**
 * Infinity's rerank API (held-out probe round 31f; 31a found it served in vLLM's shape): its Python
 * client (`infinity_client`, generated from Infinity's OpenAPI) always sends `raw_scores` and
 * `return_documents` (false) and `model: "default/not-specified"`, and reads `{object: "rerank",
 * results: [{relevance_score, index, document?}], model, usage: {prompt_tokens, total_tokens}, id,
 * created}` with `document` a string — its `Usage.from_dict` pops `prompt_tokens`, which vlrerank's
 * answer lacked, so the client could not read any answer. `raw_scores: true` gives logits whose
 * sigmoid is the score. Real server over the real models; a Cohere/vLLM body (no `raw_scores`)
 * keeps its own shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { postJson, startRerankServer } from '../../helpers/rerank-server.js';

let srv: RunningServer;

beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.warmup': false });
}, 300_000);
afterAll(async () => {
  await srv?.close();
});

const documents = ['a horse in a field', 'a cup of coffee on a saucer', 'a rocket on a launch pad'];
// infinity_client's RerankInput.to_dict with only query and documents set
const clientBody = { query: 'a cup of coffee', documents, return_documents: false, raw_scores: false, model: 'default/not-specified' };

/** What infinity_client's ReRankResult.from_dict requires of an answer (its KeyErrors), and its types. */
function readsAsInfinity(json: any): void {
  expect(json.object).toBe('rerank');
  expect(typeof json.model).toBe('string');
  expect(json.usage).toEqual(expect.objectContaining({ prompt_tokens: expect.any(Number), total_tokens: expect.any(Number) }));
  expect(typeof json.id).toBe('string');
  expect(Number.isInteger(json.created)).toBe(true);
  for (const r of json.results) {
    expect(typeof r.relevance_score).toBe('number');
    expect(Number.isInteger(r.index)).toBe(true);
    if ('document' in r) expect(r.document === null || typeof r.document === 'string').toBe(true);
  }
}

describe("Infinity's /rerank", () => {
  it.each(['/rerank', '/v1/rerank'])("%s: the client's body → Infinity's answer, no documents by default, the scores vLLM's shape gives", async (path) => {
    const r = await postJson(srv.url, path, clientBody);
    expect(r.status).toBe(200);
    readsAsInfinity(r.json);
    expect(Object.keys(r.json).sort()).toEqual(['created', 'id', 'model', 'object', 'results', 'usage']);
    expect(r.json.model).toBe('vlrerank'); // Infinity names the model it serves, not the placeholder
    expect(r.json.results.map((x: any) => Object.keys(x).sort())).toEqual(documents.map(() => ['index', 'relevance_score']));
    expect(r.json.results[0].index).toBe(1);
    // the tokens the text model read (none for texts whose vectors were kept by the call before)
    expect(r.json.usage.prompt_tokens).toBeGreaterThanOrEqual(path === '/rerank' ? 1 : 0);
    expect(r.json.usage.total_tokens).toBe(r.json.usage.prompt_tokens);
    const vllm = await postJson(srv.url, '/rerank', { query: 'a cup of coffee', documents });
    for (const x of r.json.results) expect(x.relevance_score).toBe(vllm.json.results.find((c: any) => c.index === x.index).relevance_score);
  });

  it('return_documents: true → each document as a string; a named model is echoed', async () => {
    const r = await postJson(srv.url, '/rerank', { ...clientBody, return_documents: true, model: 'mixedbread-ai/mxbai-rerank-xsmall-v1', top_n: 2 });
    expect(r.status).toBe(200);
    readsAsInfinity(r.json);
    expect(r.json.model).toBe('mixedbread-ai/mxbai-rerank-xsmall-v1');
    expect(r.json.results).toHaveLength(2);
    for (const x of r.json.results) expect(x.document).toBe(documents[x.index]);
  });

  it('raw_scores: true → logits, the sigmoid of each the score given without it, same order', async () => {
    const plain = await postJson(srv.url, '/rerank', clientBody);
    const raw = await postJson(srv.url, '/rerank', { ...clientBody, raw_scores: true });
    expect(raw.status).toBe(200);
    expect(raw.json.results.map((x: any) => x.index)).toEqual(plain.json.results.map((x: any) => x.index));
    for (const x of raw.json.results) {
      const p = plain.json.results.find((c: any) => c.index === x.index).relevance_score;
      expect(Number.isFinite(x.relevance_score)).toBe(true);
      expect(1 / (1 + Math.exp(-x.relevance_score))).toBeCloseTo(p, 9);
    }
    // scores in (0, 1) are logits of either sign, not the score again
    expect(raw.json.results.some((x: any) => x.relevance_score < 0 || x.relevance_score > 1)).toBe(true);
  });

  it('raw_scores of the wrong type → 400 naming it, in the rerank API’s error shape (Infinity’s {error: {message, type, param, code}})', async () => {
    const r = await postJson(srv.url, '/rerank', { ...clientBody, raw_scores: 'yes' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ message: expect.stringContaining('[raw_scores] must be a boolean'), code: 400, param: 'raw_scores' });
  });

  it('without raw_scores (Cohere, Jina, vLLM) and on /v2/rerank the answers keep their shapes', async () => {
    const v = await postJson(srv.url, '/rerank', { query: 'a cup of coffee', documents, model: 'm' });
    expect(v.json.object).toBeUndefined();
    expect(v.json.results[0].document).toEqual({ text: documents[1] });
    const v2 = await postJson(srv.url, '/v2/rerank', clientBody);
    expect(v2.status).toBe(200);
    expect(v2.json.object).toBeUndefined();
    expect(v2.json.meta.api_version.version).toBe('2');
  });
});
