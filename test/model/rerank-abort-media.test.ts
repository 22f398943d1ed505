/**
 * A `process()` aborted while its documents' media are read (real photos, real clips decoded by
 * ffmpeg, real models) rejects with the caller's abort reason, as it does before it starts and
 * while texts are embedded (rerank-abort.test.ts). Held-out probe round 8b: aborted mid-media it
 * rejected with VLR_INTERNAL "internal error" (status 500) wrapping the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Reranker } from '../../src/rerank/reranker.js';
import { DATA } from '../helpers/paths.js';
import { testReranker } from '../helpers/reranker.js';

const CLIPS = readdirSync(join(DATA, 'intel-sample-videos/clips')).filter((f) => f.endsWith('.mp4')).map((f) => `intel-sample-videos/clips/${f}`);
let reranker: Reranker;

beforeAll(async () => {
  reranker = testReranker();
  await reranker.warmup();
});
afterAll(() => reranker?.close());

/** Abort as soon as `process()` has started reading media (its first media read has begun). */
async function abortMidMedia(documents: unknown[], reason: unknown): Promise<unknown> {
  const ac = new AbortController();
  const p = reranker.process({ query: 'cars on a road', documents } as never, { signal: ac.signal });
  p.catch(() => undefined);
  await new Promise((r) => setTimeout(r, 50)); // the clips take seconds: still reading them
  ac.abort(reason);
  return p.then(
    () => 'resolved',
    (e: unknown) => e,
  );
}

describe('process() aborted while media are read', () => {
  it('videos: rejects with the abort reason', async () => {
    const reason = new Error('user stopped it');
    expect(await abortMidMedia(CLIPS.slice(0, 6).map((video) => ({ video })), reason)).toBe(reason);
  });

  it('an AbortSignal.timeout-style reason (a DOMException) comes back as it is', async () => {
    const reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(await abortMidMedia(CLIPS.slice(6, 12).map((video) => ({ video })), reason)).toBe(reason);
  });

  it('the same reranker answers in full afterwards', async () => {
    const out = await reranker.process({ query: 'cars on a road', documents: [{ video: CLIPS[0] }, 'a car'] });
    expect(out.scores).toHaveLength(2);
    expect(out.errors).toEqual([]);
  });
});
