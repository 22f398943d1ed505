/**
 * A pair's score does not depend on whether the process keeps a feature store. A server without a
 * disk or Redis tier (`store.disk.path: off`), and the library's `process()` (no tier unless asked),
 * scored with the float32 vectors they computed, while a server with a store — `vlrerank serve`'s
 * default — and every search scored from the index's feature records use them as stored (float16):
 * the same /v1/rerank request answered 0.596313 with a disk store and 0.59635 without, up to 5.7e-4
 * apart over 60 COCO documents (held-out probe round 10a). Real servers, real models, a real photo.
 */
import { afterAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { startColdServer } from '../../helpers/rerank-server.js';
import { testReranker } from '../../helpers/reranker.js';
import { tempStoreDir } from '../../helpers/store.js';

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const stamp = Date.now();
const photo = 'coco-captions-mini/images/val2017/000000000139.jpg';
const request = {
  query: `a woman standing in a kitchen ${stamp}`,
  documents: [`A room with chairs, a table, and a woman in it. ${stamp}`, { image: photo }, { text: `a kitchen ${stamp}`, image: photo }, `a plate of pasta ${stamp}`],
};

async function scores(srv: RunningServer): Promise<number[]> {
  const res = await fetch(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  const body = (await res.json()) as { results: Array<{ index: number; relevance_score: number }> };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.results.sort((a, b) => a.index - b.index).map((r) => r.relevance_score);
}

it('a server without a feature store answers the scores of one with a store', { timeout: 300_000 }, async () => {
  const dir = tempStoreDir('store-independent');
  cleanups.push(dir.cleanup);
  const stored = await startColdServer(cleanups, { 'store.disk.path': dir.path });
  const bare = await startColdServer(cleanups, { 'store.disk.path': 'off' });
  const withStore = await scores(stored);
  expect(await scores(bare)).toEqual(withStore);
  // and the library: process() with no store and with a disk store, cold both
  const plain = testReranker();
  const disk = tempStoreDir('store-independent-lib');
  cleanups.push(disk.cleanup);
  const kept = testReranker({ featureStore: { diskPath: disk.path } });
  cleanups.push(() => plain.close(), () => kept.close());
  const a = (await plain.process(request)).scores;
  expect(a).toEqual((await kept.process(request)).scores);
  expect(a).toEqual(withStore);
});

it('a photo searched by itself is image_image 1 from a server with a store (its vectors as stored)', { timeout: 300_000 }, async () => {
  const dir = tempStoreDir('store-independent-self');
  cleanups.push(dir.cleanup);
  const srv = await startColdServer(cleanups, { 'store.disk.path': dir.path });
  const ask = async () => {
    const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { image: photo }, documents: [{ image: photo }], explain: true }) });
    const body = (await res.json()) as { results: Array<{ explanation: { signals: Array<{ name: string; raw: number }> } }> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body.results[0]!.explanation.signals.find((s) => s.name === 'image_image')!.raw;
  };
  // computed, then from L1 (the dot product of float16-kept unit vectors was 0.999887)
  expect(await ask()).toBeCloseTo(1, 6);
  expect(await ask()).toBeCloseTo(1, 6);
});
