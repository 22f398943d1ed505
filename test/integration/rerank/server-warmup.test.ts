/**
 * Warm-up at server start (`rerank.warmup`, default true, with pipelines configured): the server
 * listens at once, loads the models in the background, and GET /_vlrerank/health reports the
 * reranker as warming → ready; a warm-up that cannot succeed (models directory missing) is
 * reported as failed with its reason and never stops the server; with the key off nothing loads.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import type { Reranker } from '../../../src/rerank/reranker.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

let srv: RunningServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

async function health(): Promise<any> {
  // the upstream of these servers is down (503 red): the reranker section is there all the same
  return (await fetch(`${srv!.url}/_vlrerank/health`)).json();
}
async function settled(): Promise<any> {
  await srv!.services.reranker.warm.wait();
  return (await health()).reranker;
}

it('loads the models the pipelines need in the background and reports ready', { timeout: 180_000 }, async () => {
  srv = await startRerankServer(); // the repository's pipelines: text, image and video fields
  expect(['warming', 'ready']).toContain((await health()).reranker.state);
  const r = await settled();
  // grocery.yaml weights image_ocr_text: a search by photo reads its photo with OCR, so OCR loads too
  expect(r).toMatchObject({ state: 'ready', what: ['text-embedder', 'concept-bank', 'image-classifier', 'object-detector', 'ocr'], ms: expect.any(Number) });
  const models = (await (await fetch(`${srv.url}/_vlrerank/models`)).json()).models as Array<{ id: string; state: string }>;
  const state = Object.fromEntries(models.map((m) => [m.id, m.state]));
  expect(state).toMatchObject({ 'bge-small-en-v1.5': 'loaded', 'efficientnet-lite2-imagenet': 'loaded', 'nanodet-g-coco': 'loaded', 'ppocr-v4-ch': 'loaded' });
});

it('a warm-up that fails (models directory missing) is reported with its reason; the server keeps serving', { timeout: 60_000 }, async () => {
  const empty = mkdtempSync(join(tmpdir(), 'vlr-no-models-'));
  srv = await startRerankServer({ 'models.dir': empty });
  const r = await settled();
  expect(r).toMatchObject({ state: 'failed', code: 'VLR_MODEL_MISSING', reason: expect.stringContaining('vlrerank models pull') });
  // a rerank still gets an answer: the model error, as before warm-up existed
  const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { text: 'a dog' }, documents: [{ text: 'a cat' }] }) });
  const body = (await res.json()) as any;
  expect(res.status).toBeGreaterThanOrEqual(500);
  expect(body.error.vlrerank_code).toBe('VLR_MODEL_MISSING');
  expect((await health()).reranker.state).toBe('failed');
});

it('with rerank.warmup false nothing loads until first use', async () => {
  srv = await startRerankServer({ 'rerank.warmup': false });
  expect((await health()).reranker).toMatchObject({ state: 'idle', note: expect.stringContaining('first use') });
  const models = (await (await fetch(`${srv.url}/_vlrerank/models`)).json()).models as Array<{ id: string; state: string }>;
  expect(models.find((m) => m.id === 'bge-small-en-v1.5')!.state).toBe('unloaded');
});
