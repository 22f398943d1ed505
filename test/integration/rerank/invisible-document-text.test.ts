/**
 * Held-out probe round 28b: a rerank API document whose text holds nothing visible beside a photo —
 * `{text: "", image}`, spaces, zero-width characters — was scored with the empty text's cosine
 * pulling the photo down: the Grocery banana for "banana" 0.147 where the photo alone scores 0.993,
 * on `/_vlrerank/rerank` and `/v1/rerank` alike (a search's hits already skipped such texts). Such a
 * text is now no text, as the query's is; the document is answered as the client sent it. Real server,
 * real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { postJson, startRerankServer } from '../../helpers/rerank-server.js';

const BANANA = 'grocery-store-products/iconic-images-and-descriptions/Fruit/Banana/Banana_Iconic.jpg';
const DOCS = [{ image: BANANA }, { text: '', image: BANANA }, { text: ' \n ', image: BANANA }, { text: '\u200b\u200b', image: BANANA }, { text: '\u200bbanana', image: BANANA }];

let srv: RunningServer;
beforeAll(async () => {
  srv = await startRerankServer();
}, 300_000);
afterAll(async () => {
  await srv?.close();
});

describe('a document text of nothing visible beside a photo', () => {
  it('/_vlrerank/rerank scores it as the photo alone and answers the document as sent', { timeout: 300_000 }, async () => {
    const r = await postJson(srv.url, '/_vlrerank/rerank', { query: { text: 'banana' }, documents: DOCS, explain: true });
    expect(r.status).toBe(200);
    const s = r.json.scores as number[];
    expect(s[0]).toBeGreaterThan(0.5);
    for (const i of [1, 2, 3]) expect(s[i], `document ${i}`).toBe(s[0]);
    const byIndex = Object.fromEntries(r.json.results.map((x: any) => [x.index, x]));
    expect(byIndex[3].explanation.modalities.document).toEqual(['image']);
    expect(byIndex[3].document).toEqual(DOCS[3]);
    expect(byIndex[4].explanation.modalities.document).toEqual(['text', 'image']);
  });

  it('/v1/rerank alike', { timeout: 300_000 }, async () => {
    const r = await postJson(srv.url, '/v1/rerank', { query: 'banana', documents: DOCS, return_documents: true });
    expect(r.status).toBe(200);
    const byIndex = Object.fromEntries(r.json.results.map((x: any) => [x.index, x.relevance_score]));
    for (const i of [1, 2, 3]) expect(byIndex[i], `document ${i}`).toBe(byIndex[0]);
  });
});
