/**
 * OCR's model runs are counted in `vlrerank_model_runs_total` like every other model's (held-out
 * probe round 13e: its engine was built without the batch hook, so a server running OCR for every
 * photo showed no run of it). A real server with `rerank.ocr`, a real PP-OCR model and a real
 * grocery photo with printed text.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { counterSum } from '../../helpers/metrics.js';
import { startColdServer } from '../../helpers/rerank-server.js';

const PHOTO = 'grocery-store-products/queries/test/Packages/Milk/Arla-Standard-Milk/Arla-Standard-Milk_001.jpg';
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('OCR runs are counted', () => {
  it('a rerank that reads a photo\'s text counts the OCR model\'s runs and batches', { timeout: 300_000 }, async () => {
    const srv = await startColdServer(cleanups, { 'rerank.ocr': true });
    const runs = () => counterSum(srv.url, 'vlrerank_model_runs_total', { model: 'ppocr-v4-ch' });
    expect(await runs()).toBe(0);
    const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { text: 'arla milk' }, documents: [{ image: PHOTO }], explain: true }) });
    const json = (await res.json()) as any;
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(json.results[0].explanation.signals.map((s: any) => s.name)).toContain('ocr_text');
    // the detector once, then the recognizer (and the orientation classifier) over the lines found
    expect(await runs()).toBeGreaterThanOrEqual(2);
    expect(await counterSum(srv.url, 'vlrerank_batch_size_count', { model: 'ppocr-v4-ch' })).toBe(await runs());
  });
});
