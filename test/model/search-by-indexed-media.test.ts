/**
 * Searching by a photo or a clip that is itself in the index must find it first. With the shipped `coco`
 * pipeline's scorer (text_text 0.9, text_image 0.4, image_image and image_text 1) and the plain
 * mean of calibrated probabilities, it did not: the same photo's image_image (raw 1.000,
 * calibrated 0.99997) sat beside a similar bathroom's (raw 0.62, calibrated 0.985) under the
 * probability scale's ceiling, and the bridge's weaker image_text match for its own caption put it
 * 4th of five (the first stage, kNN on the photo, had it 1st). `coco.yaml` now fuses in log-odds
 * (src/rerank/fusion.ts): through the proxy on the demo index, the 239 photos as queries found
 * themselves at MRR@10 0.735 before, 1.000 after. The same for clips with the `videos` pipeline: a
 * clip's video_video 1.000 beside its title's weak video_text (0.32) lost to other clips at 0.98 +
 * 0.52 (MRR@10 0.304 → 0.973 over the 37 demo clips). Real media and models, the pipeline files as shipped.
 */
import { afterAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadPipelines } from '../../src/pipelines/index.js';
import { scoreFusionOf } from '../../src/search/shape.js';
import { weightedMean } from '../../src/rerank/fusion.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { testReranker } from '../helpers/reranker.js';

const reranker = testReranker();
afterAll(() => reranker.close());

const shipped = loadPipelines(join(REPO_ROOT, 'pipelines'));
const coco = shipped.find((p) => p.name === 'coco')!;
const videos = shipped.find((p) => p.name === 'videos')!;
const photo = (id: number) => `coco-captions-mini/images/val2017/${String(id).padStart(12, '0')}.jpg`;
// the query's photo and the four photos most like it in COCO-mini, each with its indexed caption
const docs = [
  { id: 262440, text: 'A bathroom with a toilet, sink, bath tub, and a small cabinet.' },
  { id: 557172, text: 'A bathroom sink and mirror reflecting the shower and bathtub.' },
  { id: 453302, text: 'A kitchen that has a tile floor, a refrigerator, a microwave, and a toaster.' },
  { id: 354072, text: 'A bathroom sink under a mirror next to a plant.' },
  { id: 262682, text: 'Two sinks that are in a kitchen near a window.' },
];
const SELF = 3;

/** The document the plain weighted mean of each result's calibrated signals (no near-duplicate lift) puts first. */
function plainMeanTop(out: Array<{ index: number; explanation?: { signals: Array<{ name: string; calibrated: number; weight: number }> } }>): number {
  const mean = (r: (typeof out)[number]) => weightedMean(r.explanation!.signals, (s) => s.calibrated) ?? 0;
  return [...out].sort((a, b) => mean(b) - mean(a))[0]!.index;
}

it('a photo: finds the photo itself first with the coco pipeline\u2019s fusion; the plain calibrated mean (without the near-duplicate lift) did not', { timeout: 300_000 }, async () => {
  expect(coco.scorer.fusion).toBe('logodds');
  const ask = (scoreFusion: ReturnType<typeof scoreFusionOf>) =>
    reranker.process(
      { query: { image: photo(354072) }, documents: docs.map((d) => ({ text: d.text, image: photo(d.id) })), weights: coco.scorer.weights, explain: true },
      scoreFusion ? { scoreFusion } : {},
    );
  const shipped = await ask(scoreFusionOf(coco));
  expect(shipped[0]!.index).toBe(SELF);
  const ii = shipped[0]!.explanation!.signals.find((s) => s.name === 'image_image')!;
  expect(ii.raw).toBeCloseTo(1, 3);
  for (const r of shipped) {
    expect(r.score).toBeGreaterThanOrEqual(0);
    expect(r.score).toBeLessThanOrEqual(1);
  }
  const plain = await ask({ kind: 'calibrated' });
  // since task dup25 the near-duplicate lift (fusion.ts NEAR_DUPLICATE) puts it first in every mode; the
  // plain mean of the calibrated signals without it did not: why the pipeline fuses in log-odds
  expect(plain[0]!.index).toBe(SELF);
  expect(plainMeanTop(plain)).not.toBe(SELF);
  // the same signals in both: only their fusion differs
  const sig = (out: typeof shipped) => out.find((r) => r.index === SELF)!.explanation!.signals.map((s) => [s.name, s.calibrated]);
  expect(sig(shipped)).toEqual(sig(plain));
});

it('a clip: finds the clip itself first with the videos pipeline\u2019s fusion; the plain calibrated mean (without the near-duplicate lift) did not', { timeout: 300_000 }, async () => {
  expect(videos.scorer.fusion).toBe('logodds');
  const clip = (p: string) => `intel-sample-videos/${p}`;
  // the query's clip and the three that outranked it, each with its indexed title
  const clips = [
    { video: clip('clips/face-demographics-walking.mp4'), text: 'face demographics walking' },
    { video: clip('asl_gestures/hungry.mkv'), text: 'ASL sign: hungry' },
    { video: clip('asl_gestures/bird.mkv'), text: 'ASL sign: bird' },
    { video: clip('asl_gestures/eat.mkv'), text: 'ASL sign: eat' },
  ];
  const me = 3;
  const ask = (scoreFusion: ReturnType<typeof scoreFusionOf>) =>
    reranker.process(
      { query: { video: clip('asl_gestures/eat.mkv') }, documents: clips, weights: videos.scorer.weights, fps: videos.scorer.fps, max_frames: videos.scorer.max_frames, explain: true },
      scoreFusion ? { scoreFusion } : {},
    );
  const out = await ask(scoreFusionOf(videos));
  expect(out[0]!.index).toBe(me);
  expect(out[0]!.explanation!.signals.find((s) => s.name === 'video_video')!.raw).toBeCloseTo(1, 3);
  const plain = await ask({ kind: 'calibrated' });
  expect(plain[0]!.index).toBe(me); // the near-duplicate lift, as for the photo
  expect(plainMeanTop(plain)).not.toBe(me); // why the pipeline fuses in log-odds
});
