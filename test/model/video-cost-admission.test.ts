/**
 * Admission costs a local video at the frames it will give (its header, read before admission),
 * not at max_frames. Held-out probe round 8b: every video weighed max_frames × 6 documents of work
 * before its length was known, so concurrent calls of two 3 s clips each (6 frames in all, costed
 * as 64) were refused VLR_OVERLOADED by the documents-queued bound. Real clips, real ffprobe and
 * ffmpeg, real models; an admission with small bounds (one request at a time, 400 documents
 * queued) makes the bound decide: three calls at once, the first runs, the other two queue.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Reranker } from '../../src/rerank/reranker.js';
import { testReranker } from '../helpers/reranker.js';

const CLIPS = ['intel-sample-videos/clips/bottle-detection.mp4', 'intel-sample-videos/clips/classroom.mp4']; // 3.0 s each
let reranker: Reranker | undefined;
afterEach(() => reranker?.close());

const small = () => testReranker({ maxConcurrentRequests: 1, admission: { maxQueued: 8, maxInFlightDocuments: 400, maxQueuedDocuments: 400, maxQueueWaitMs: 120_000, clientShare: 1 } });

async function threeAtOnce(r: Reranker, video: Record<string, unknown>): Promise<string[]> {
  const calls = [0, 1, 2].map((i) => r.process({ query: `a classroom ${i}`, documents: CLIPS.map((v) => ({ video: v, ...video })) }));
  const done = await Promise.allSettled(calls);
  return done.map((d) => (d.status === 'fulfilled' ? 'ok' : ((d.reason as { details?: { shed_reason?: string } }).details?.shed_reason ?? String(d.reason))));
}

describe('a video costed by its length', () => {
  it('three concurrent calls of two 3 s clips each are all admitted (each 6 frames: 37 documents, not 385)', { timeout: 180_000 }, async () => {
    reranker = small();
    expect(await threeAtOnce(reranker, {})).toEqual(['ok', 'ok', 'ok']);
    expect(reranker.admission.snapshot()).toMatchObject({ in_flight: 0, queued: 0, in_flight_documents: 0, queued_documents: 0 });
  });

  it('the same clips at 30 fps (32 frames each, the cap) still exceed the bound: the third is refused', { timeout: 180_000 }, async () => {
    reranker = small();
    const outcomes = await threeAtOnce(reranker, { fps: 30 });
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'documents_full')).toHaveLength(1);
  });
});
