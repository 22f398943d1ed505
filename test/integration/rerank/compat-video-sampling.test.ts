/**
 * The Cohere/Jina-shaped rerank APIs honour a document's own video sampling (`fps`, `max_frames`)
 * and the request's defaults, as /_vlrerank/rerank does; a bad value is a 400 naming the field.
 * Held-out probe round 8b: `/v1/rerank` and `/v2/rerank` dropped them — `{video, max_frames: 1}`
 * and `fps: 3` both sampled the clip at the default (5 frames of a 5 s clip) with a 200.
 * Real server, real models, a real Intel sample clip (5.17 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

const CLIP = 'intel-sample-videos/clips/car-detection.mp4';
let srv: RunningServer;

beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.warmup': false });
});
afterAll(() => srv?.close());

const post = async (path: string, body: unknown) => {
  const r = await fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as { usage?: { video_frames: number }; error?: { reason: string; field?: string } } };
};

describe('video sampling on the compatible rerank APIs', () => {
  it('a document\'s max_frames and fps are read (v1 and v2)', { timeout: 120_000 }, async () => {
    for (const path of ['/v1/rerank', '/v2/rerank']) {
      const one = await post(path, { query: 'cars on a road', documents: [{ video: CLIP, max_frames: 1 }] });
      expect(one.status).toBe(200);
      expect(one.body.usage!.video_frames).toBe(1);
      const fps2 = await post(path, { query: 'cars on a road', documents: [{ video: CLIP, fps: 2 }] });
      expect(fps2.body.usage!.video_frames).toBe(10); // floor(5.17 · 2)
      const plain = await post(path, { query: 'cars on a road', documents: [{ video: CLIP }] });
      expect(plain.body.usage!.video_frames).toBe(5);
    }
  });

  it('the request\'s own max_frames is the default of its documents; a document\'s wins', { timeout: 120_000 }, async () => {
    const r = await post('/v1/rerank', { query: 'cars on a road', max_frames: 2, documents: [{ video: CLIP }, { video: CLIP, max_frames: 3 }] });
    expect(r.status).toBe(200);
    expect(r.body.usage!.video_frames).toBe(5);
  });

  // vLLM's /score and TEI's /rerank dropped them again (held-out probe round 31a): `{video,
  // max_frames: 1}` scored as the default sampling — the same pair, two scores across the APIs
  it("/score and TEI's /rerank read an item's max_frames too: the score /v1/rerank gives", { timeout: 120_000 }, async () => {
    const items = [{ video: CLIP, max_frames: 1 }, { video: CLIP }];
    const cohere = (await post('/v1/rerank', { query: 'cars on a road', documents: items })).body as unknown as { results: Array<{ index: number; relevance_score: number }> };
    const want = [0, 1].map((i) => cohere.results.find((r) => r.index === i)!.relevance_score);
    expect(want[0]).not.toBe(want[1]);
    const score = (await post('/score', { text_1: 'cars on a road', text_2: items })).body as unknown as { data: Array<{ score: number }> };
    expect(score.data.map((d) => d.score)).toEqual(want);
    const tei = (await post('/rerank', { query: 'cars on a road', texts: items })).body as unknown as Array<{ index: number; score: number }>;
    expect([0, 1].map((i) => tei.find((r) => r.index === i)!.score)).toEqual(want);
  });

  it('a bad value is a 400 naming the field', async () => {
    const r = await post('/v1/rerank', { query: 'cars on a road', documents: ['a car', { video: CLIP, fps: 0 }] });
    expect(r.status).toBe(400);
    expect(r.body.error!.reason).toMatch(/documents\[1\]\.fps/);
  });
});
